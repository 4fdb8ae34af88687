import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseMissingFrom } from "./debian-archive.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-archive-"));
let server: Server;
let url = "";

// An archive on loopback that serves bullseye's Release and answers 404 for every other release.
beforeAll(async () => {
  server = createServer((request, response) => {
    response.statusCode = request.url === "/debian/dists/bullseye/Release" ? 200 : 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(scratch, { recursive: true, force: true });
});

describe("whether a Debian archive serves a release", () => {
  it("asks an HTTP archive for the release's Release file", async () => {
    expect(await releaseMissingFrom(url, "bullseye")).toBeUndefined();
    expect(await releaseMissingFrom(`${url}/`, "bullseye")).toBeUndefined();
    expect(await releaseMissingFrom(url, "buster")).toBe("dists/buster/InRelease: HTTP 404");
  });

  it("looks into an archive on disk (a path or a file: URL)", async () => {
    mkdirSync(join(scratch, "dists", "bookworm"), { recursive: true });
    writeFileSync(join(scratch, "dists", "bookworm", "InRelease"), "");
    expect(await releaseMissingFrom(scratch, "bookworm")).toBeUndefined();
    expect(await releaseMissingFrom(pathToFileURL(scratch).href, "bookworm")).toBeUndefined();
    expect(await releaseMissingFrom(pathToFileURL(scratch).href, "buster")).toBe("no dists/buster/Release");
  });

  it("says when the archive cannot be reached", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await releaseMissingFrom(`http://127.0.0.1:${port}/debian`, "bullseye")).toMatch(
      /^cannot reach it/,
    );
  });
});
