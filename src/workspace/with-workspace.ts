import { createWorkspace, type Workspace } from "./create-workspace.js";
import type { RepoCache } from "./repo-cache.js";

/** Runs `task` in a fresh workspace and disposes of it afterwards, whatever happens. */
export async function withWorkspace<T>(
  cache: RepoCache,
  options: { repo: string; baseCommit: string; parentDir?: string },
  task: (workspace: Workspace) => Promise<T>,
): Promise<T> {
  const workspace = await createWorkspace(cache, options);
  try {
    return await task(workspace);
  } finally {
    await workspace.dispose();
  }
}
