// Hocuspocus, in memory (no persistence extension), as ypad-bench drives it.
// HOST and PORT come from the environment; the bench waits for the port to accept connections.
import { Server } from "@hocuspocus/server";

const host = process.env.HOST || "127.0.0.1";
const port = Number(process.env.PORT || 1234);

const server = new Server({
  quiet: true,
  // Hocuspocus's ping check, at its default.
  timeout: 30000,
});

// Not `server.listen()`: in 3.4.4 it passes `address` where Node's `listen` wants `host`, so it
// binds every interface whatever the configuration says. The bench stays on loopback.
// The WebSocket upgrade handler is installed by the constructor, so listening is all it takes.
server.httpServer.listen({ port, host }, () => {
  console.log(`hocuspocus listening on ws://${host}:${port}/`);
});
