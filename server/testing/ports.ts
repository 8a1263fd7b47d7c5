import { createServer } from "node:net";

/**
 * A port on 127.0.0.1 that nothing listens on right now (the OS picks it, then it is released):
 * for a server a test is about to start, or as an address that refuses connections.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}
