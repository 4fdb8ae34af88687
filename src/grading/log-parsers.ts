import { UserError } from "../errors.js";
import { parseDjangoLog } from "./parsers/parse-django-log.js";
import {
  parseMatplotlibLog,
  parsePytestLog,
  parsePytestOptionsLog,
  parsePytestV2Log,
} from "./parsers/parse-pytest-log.js";
import { parseSeabornLog } from "./parsers/parse-seaborn-log.js";
import { parseSympyLog } from "./parsers/parse-sympy-log.js";
import type { GradingRules } from "./rules.js";
import type { LogParser, StatusMap } from "./test-status.js";

type RuledParser = (log: string, rules: GradingRules) => StatusMap;

/** Every parser the harness names, by its own name (aliases as in its registry). */
const PARSERS: Record<string, RuledParser> = {
  parse_log_pytest: parsePytestLog,
  parse_log_pytest_options: parsePytestOptionsLog,
  parse_log_pytest_v2: parsePytestV2Log,
  parse_log_django: parseDjangoLog,
  parse_log_sympy: parseSympyLog,
  parse_log_matplotlib: parseMatplotlibLog,
  parse_log_seaborn: parseSeabornLog,
  parse_log_astroid: parsePytestLog,
  parse_log_flask: parsePytestLog,
  parse_log_marshmallow: parsePytestLog,
  parse_log_pvlib: parsePytestLog,
  parse_log_pyvista: parsePytestLog,
  parse_log_sqlfluff: parsePytestLog,
  parse_log_xarray: parsePytestLog,
  parse_log_pydicom: parsePytestOptionsLog,
  parse_log_requests: parsePytestOptionsLog,
  parse_log_pylint: parsePytestOptionsLog,
  parse_log_astropy: parsePytestV2Log,
  parse_log_scikit: parsePytestV2Log,
  parse_log_sphinx: parsePytestV2Log,
};

/** Names of every registered parser. */
export function logParserNames(): string[] {
  return Object.keys(PARSERS);
}

/** The parser registered under `name`, bound to a rule set; an unknown name is a user error. */
export function getLogParser(name: string, rules: GradingRules = "v5"): LogParser {
  const parser = PARSERS[name];
  if (!parser) {
    throw new UserError(`unknown log parser ${JSON.stringify(name)}`, {
      hint: `known: ${logParserNames().join(", ")}`,
    });
  }
  return (log) => parser(log, rules);
}
