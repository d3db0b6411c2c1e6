export { Libredis, type LibredisOptions } from './libredis';
export { Connection } from './connection';
export { Batch } from './batch';
export { Executor } from './executor';
export { Ketama } from './ketama';
export { ReplyType, type Reply, type ReplyValue } from './reply';
export type { Arg } from './arguments';
export { LibredisError, ConnectionError, TimeoutError, ProtocolError, ReplyError } from './errors';
