export type { Arg } from './arguments';
export { Batch } from './batch';
export { Connection } from './connection';
export { ConnectionError, LibredisError, ProtocolError, ReplyError, TimeoutError } from './errors';
export { Executor } from './executor';
export { Ketama } from './ketama';
export { Libredis, type LibredisOptions } from './libredis';
export { type Reply, ReplyType, type ReplyValue } from './reply';
export {
  type ServerSpec,
  type SetOptions,
  ShardedClient,
  type ShardedClientOptions,
  ShardedPipeline,
} from './sharded-client';
export { ShardedTransaction } from './sharded-transaction';
