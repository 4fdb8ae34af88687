/** `tests/`, `testing/`, `test_*.py`, `*_test.py`, `conftest.py`: where a repository keeps its tests. */
const TEST_PATH = /(^|\/)(tests?|testing)\/|(^|\/)test_[^/]*\.py$|_tests?\.py$|(^|\/)conftest\.py$/;

/** Is this a test file? A fix belongs in the code, and the tests that will judge it are not shown. */
export function isTestPath(path: string): boolean {
  return TEST_PATH.test(path);
}
