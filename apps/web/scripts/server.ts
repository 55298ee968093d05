/**
 * The portal's HTTP server: Next's production request handler behind a plain Node server, so that the
 * client's address is known for sure. `next start` keeps an `x-forwarded-for` header sent by the
 * client, so anyone could claim any address and step around the sign-in throttle's per-address limits.
 * Here the header is replaced by the socket's peer address; only with TFM_TRUST_PROXY=1 (the portal
 * sits behind a reverse proxy that appends the client's address) is the header's last entry used.
 *
 * Run: node --import tsx apps/web/scripts/server.ts [-H host] [-p port] (from any directory).
 */
import http from "node:http";
import { parseArgs } from "node:util";
import { forwardedFor } from "../lib/signin-throttle.ts";
import { WEB_DIR } from "./build.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { H: { type: "string", default: "127.0.0.1" }, p: { type: "string", default: "3000" } } });
  const port = Number(values.p);
  const hostname = values.H ?? "127.0.0.1";
  const trustProxy = process.env.TFM_TRUST_PROXY === "1";
  // As `next start` does: a production server runs React's production build.
  Object.assign(process.env, { NODE_ENV: "production" });
  const { default: next } = await import("next");
  const app = next({ dev: false, dir: WEB_DIR, hostname, port });
  const handle = app.getRequestHandler();
  await app.prepare();
  const server = http.createServer((req, res) => {
    req.headers["x-forwarded-for"] = forwardedFor(req.headers["x-forwarded-for"], req.socket.remoteAddress, trustProxy);
    void handle(req, res);
  });
  server.listen(port, hostname, () => console.log(`✓ Ready on http://${hostname}:${port}`));
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      server.close();
      setTimeout(() => process.exit(0), 200).unref();
    });
  }
}

await main();
