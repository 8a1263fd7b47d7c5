import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import type { Config } from "../config/config.ts";
import type { CutOffCause } from "../telemetry/metric-names.ts";
import { type BodyRateWindow, createBodyRateWindow } from "./body-rate.ts";

export interface ConnectionLimitsOptions {
  limits: Config["connections"];
  onCutOff?: (cause: CutOffCause) => void;
  /** The clock the body rate is judged by; default performance.now. */
  now?: () => number;
}

interface BodyInFlight {
  request: IncomingMessage;
  response: ServerResponse;
  rate: BodyRateWindow;
}

const REQUEST_TIMEOUT = "ERR_HTTP_REQUEST_TIMEOUT";

/**
 * An HTTP server for `handler` with the limits below applied, and Node's timeouts checked every
 * second (its default, 30 s, would let a headers timeout of 10 s run to 40).
 */
export function createLimitedServer(handler: RequestListener, options: ConnectionLimitsOptions) {
  const { headersTimeoutMs } = options.limits;
  const server = createServer(
    { connectionsCheckingInterval: Math.min(1000, Math.max(50, headersTimeoutMs / 4)) },
    handler,
  );
  return { server, ...applyConnectionLimits(server, options) };
}

/**
 * Bounds what slow or idle clients can hold on `server`: the time to send headers and a whole
 * request, the pace of a body (HTTP_BODY_MIN_BYTES_PER_SECOND over a sliding window), how long
 * an idle keep-alive connection stays, and how many connections are open. Node enforces the
 * first, third and fourth; the body pace is checked here, once a second for every body still
 * arriving. Returns the open-connection count for the gauge and `close` to stop the checks.
 */
export function applyConnectionLimits(server: Server, options: ConnectionLimitsOptions) {
  const { limits, onCutOff = () => {}, now = () => performance.now() } = options;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;

  let open = 0;
  server.on("connection", (socket: Socket) => {
    open++;
    socket.once("close", () => open--);
  });
  // Node closes a connection past maxConnections at once; only counted here.
  server.on("drop", () => onCutOff("max_connections"));

  const bodies = new Set<BodyInFlight>();
  /** The request each connection is receiving now, to tell a slow body from slow headers. */
  const receiving = new WeakMap<Socket, IncomingMessage>();
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (request.complete) return;
    const body: BodyInFlight = {
      request,
      response,
      rate: createBodyRateWindow(
        { minBytesPerSecond: limits.bodyMinBytesPerSecond, windowMs: limits.bodyRateWindowMs },
        now(),
        request.socket.bytesRead,
      ),
    };
    bodies.add(body);
    receiving.set(request.socket, request);
    const done = () => {
      bodies.delete(body);
      if (receiving.get(request.socket) === request) receiving.delete(request.socket);
    };
    // Not done when the answer is sent: a body refused unread is still read and dropped, and a
    // client trickling it in must not hold the connection for that.
    request.once("end", done);
    request.once("close", done);
  });

  // Node's timeouts arrive here (one code for headers and whole requests); with a listener
  // installed, answering the client is this handler's job, as Node's default would.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === REQUEST_TIMEOUT) {
      const request = receiving.get(socket);
      onCutOff(request && !request.complete ? "request_timeout" : "headers_timeout");
      refuse(socket, "408 Request Timeout");
      return;
    }
    if (error.code === "HPE_HEADER_OVERFLOW") refuse(socket, "431 Request Header Fields Too Large");
    else if (error.code === "ECONNRESET") socket.destroy();
    else refuse(socket, "400 Bad Request");
  });

  const checkEveryMs = Math.min(1000, limits.bodyRateWindowMs / 4);
  const timer = setInterval(() => {
    const t = now();
    for (const body of bodies) {
      const { request, response, rate } = body;
      const socket = request.socket;
      if (request.complete) {
        bodies.delete(body);
        continue;
      }
      // A body waiting in the server's own buffers is the server's delay, not the client's.
      if (request.readableLength >= request.readableHighWaterMark) {
        rate.restart(t, socket.bytesRead);
      } else if (rate.tooSlow(t, socket.bytesRead)) {
        bodies.delete(body);
        onCutOff("body_too_slow");
        if (response.headersSent) socket.destroy();
        else refuse(socket, "408 Request Timeout");
      }
    }
  }, checkEveryMs);
  timer.unref();

  return {
    /** Connections open now. */
    openConnections: () => open,
    /** Stops the body checks (the server's own timeouts stop with it). */
    close: () => clearInterval(timer),
  };
}

/** Answers a client the server will not hear further, and closes its connection. */
function refuse(socket: Socket, status: string) {
  const inResponse = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inResponse?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  // The client may still be sending; it is not read, so the socket goes once the answer is out.
  socket.once("finish", () => socket.destroy());
}
