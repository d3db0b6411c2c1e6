/** Base class of every error this package raises for a failed operation. */
export class LibredisError extends Error {
  /** The server address (`host:port` or socket path) involved, when known. */
  readonly address: string | undefined;
  constructor(message: string, address?: string) {
    super(message);
    this.name = new.target.name;
    this.address = address;
  }
}

/** The server could not be reached, or the connection failed or was closed. */
export class ConnectionError extends LibredisError {}

/** The deadline passed before every reply arrived. */
export class TimeoutError extends LibredisError {}

/** The server sent bytes that are not valid RESP; the connection was closed. */
export class ProtocolError extends LibredisError {}

/** The server answered a command with an error reply (`-ERR ...`). */
export class ReplyError extends LibredisError {}

/** @internal Error kinds as the native core reports them. */
export enum ErrorKind {
  None = 0,
  Timeout = 1,
  Connection = 2,
  Protocol = 3,
  Closed = 4,
}

/** @internal */
export function errorFor(kind: number, message: string, address?: string): LibredisError {
  switch (kind) {
    case ErrorKind.Timeout:
      return new TimeoutError(message, address);
    case ErrorKind.Protocol:
      return new ProtocolError(message, address);
    default:
      return new ConnectionError(message, address);
  }
}
