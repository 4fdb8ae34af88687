import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCliAsync } from "../cli/test-support/run-cli.js";
import { answerJson, serveJson } from "../model/test-support/serve-json.js";
import { openStore } from "../store/open-store.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-refused-key-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

// Anthropic's documented error body for a bad key.
const REFUSED = {
  type: "error",
  error: { type: "authentication_error", message: "invalid x-api-key" },
};
// A complete Messages API response, as Anthropic documents it (the SDK refuses a partial one).
const ANSWER = {
  id: "msg_01",
  type: "message",
  role: "assistant",
  model: "claude-haiku-4-5",
  content: [{ type: "text", text: "no edits" }],
  stop_reason: "end_turn",
  usage: { input_tokens: 10, output_tokens: 2 },
};

describe("a key the provider refuses", () => {
  it("stops the run at the first 401: exit 3, one line naming the key's variable, no result kept, the run failed; the resume redoes it", async () => {
    let refuse = true;
    const server = await serveJson((_seen, response) =>
      refuse ? answerJson(response, 401, REFUSED) : answerJson(response, 200, ANSWER),
    );
    const storeDir = join(scratch, "store");
    const common = ["--cache-dir", join(scratch, "cache"), "--store", storeDir, "--json"];
    const env = { XDG_CONFIG_HOME: join(scratch, "config"), ANTHROPIC_API_KEY: "not-a-key" };
    try {
      const stopped = await runCliAsync(
        [
          "run",
          "--model",
          "anthropic:claude-haiku-4-5",
          "--base-url",
          server.origin,
          "--instances",
          "swegate-demo__calculator-1,swegate-demo__calculator-2,swegate-demo__textutils-1",
          "--workers",
          "1",
          "--run-id",
          "refused",
          ...common,
        ],
        { env },
      );
      expect(stopped.code, stopped.stderr).toBe(3);
      expect(stopped.stderr.trim().split("\n")).toEqual([
        `swegate: anthropic refused the API key (401 authentication_error: invalid x-api-key): check ANTHROPIC_API_KEY (then finish the run with: swegate run --resume refused --store ${storeDir})`,
      ]);
      // Not retried, and no other instance started: one call in all.
      expect(server.seen).toHaveLength(1);
      let store = openStore(storeDir);
      expect(store.getRun("refused")?.status).toBe("failed");
      expect(store.getInstanceResults("refused")).toEqual([]);
      store.close();

      refuse = false;
      const resumed = await runCliAsync(["run", "--resume", "refused", ...common], { env });
      expect(resumed.code, resumed.stderr).toBe(0);
      store = openStore(storeDir);
      expect(store.getRun("refused")?.status).toBe("completed");
      expect(
        store
          .getInstanceResults("refused")
          .map((result) => result.instance_id)
          .sort(),
      ).toEqual(["swegate-demo__calculator-1", "swegate-demo__calculator-2", "swegate-demo__textutils-1"]);
      store.close();
    } finally {
      await server.close();
    }
  }, 120_000);
});
