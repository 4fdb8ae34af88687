import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readApiKey } from "../model/read-api-key.js";
import { createHostBackend } from "./host-backend.js";
import { createOutputScrubber, looksLikeCredential, registerSecret, scrubSecrets } from "./scrub-secrets.js";
import { newNonce } from "./test-script.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-scrub-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("scrubbing secrets from output", () => {
  it("replaces every registered value with its variable's name, and leaves short values alone", () => {
    const value = `tok-${newNonce()}`;
    registerSecret("SOME_SERVICE_TOKEN", value);
    registerSecret("SHORT_TOKEN", "abc123");
    expect(scrubSecrets(`a ${value} b ${value}\nabc123`)).toBe(
      "a [redacted:SOME_SERVICE_TOKEN] b [redacted:SOME_SERVICE_TOKEN]\nabc123",
    );
  });

  it("holds back a chunk's end that could start a secret, so a value split between two reads is still caught", () => {
    const value = `split-${newNonce()}`;
    registerSecret("SPLIT_API_KEY", value);
    const scrubber = createOutputScrubber();
    const shown = [
      scrubber.write(`before ${value.slice(0, 9)}`),
      scrubber.write(`${value.slice(9)} after\nthen ${value.slice(0, 3)}`),
      scrubber.end(),
    ];
    expect(shown[0]).toBe("before ");
    expect(shown.join("")).toBe(`before [redacted:SPLIT_API_KEY] after\nthen ${value.slice(0, 3)}`);
  });

  it("knows credential names by convention, not the places where credentials are kept", () => {
    for (const name of [
      "ANTHROPIC_API_KEY",
      "GITHUB_TOKEN",
      "AWS_SECRET_ACCESS_KEY",
      "PGPASSWORD",
      "CLIENT_SECRET",
    ])
      expect(looksLikeCredential(name), name).toBe(true);
    for (const name of ["PATH", "HOME", "GOOGLE_APPLICATION_CREDENTIALS_FILE", "HF_TOKEN_PATH", "LANG"])
      expect(looksLikeCredential(name), name).toBe(false);
  });
});

describe("host backend output", () => {
  const backend = createHostBackend();

  it("never shows a key read for a model, even when the test prints it directly, across two writes", async () => {
    const key = `sk-ant-fake-${newNonce()}`;
    expect(readApiKey("anthropic", { ANTHROPIC_API_KEY: key })).toBe(key);
    const chunks: string[] = [];
    // The test got the key somehow (here: it is given it) and prints it whole, then split by a pause.
    const script = `echo "key: $LEAKED"; printf %s "\${LEAKED:0:14}"; sleep 0.3; printf "%s\\n" "\${LEAKED:14}"`;
    const result = await backend.run(script, {
      cwd: scratch,
      timeoutSeconds: 30,
      env: { LEAKED: key },
      onOutput: (chunk) => chunks.push(chunk),
    });
    expect(result.output).toBe("key: [redacted:ANTHROPIC_API_KEY]\n[redacted:ANTHROPIC_API_KEY]\n");
    expect(chunks.join("")).toBe(result.output);
    expect(chunks.length).toBeGreaterThan(1); // it did come in two reads
  });

  it("redacts a credential-looking variable of swegate's own environment, read at the run", async () => {
    const token = `ghp_${newNonce()}`;
    process.env.SWEGATE_TEST_DEPLOY_TOKEN = token;
    try {
      // A placeholder under such a name is left alone: redacting a plain word or number everywhere
      // could rewrite test ids in the graded log.
      process.env.SWEGATE_TEST_UNSET_PASSWORD = "undefined";
      process.env.SWEGATE_TEST_PIN_SECRET = "12345678";
      const result = await backend.run('echo "$GIVEN"; echo undefined 12345678', {
        cwd: scratch,
        timeoutSeconds: 30,
        env: { GIVEN: token },
      });
      expect(result.output).toBe("[redacted:SWEGATE_TEST_DEPLOY_TOKEN]\nundefined 12345678\n");
    } finally {
      delete process.env.SWEGATE_TEST_DEPLOY_TOKEN;
      delete process.env.SWEGATE_TEST_UNSET_PASSWORD;
      delete process.env.SWEGATE_TEST_PIN_SECRET;
    }
  });
});
