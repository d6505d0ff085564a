/**
 * `@hono/zod-validator` with the agent's answer to a bad request: 400 and a JSON body listing
 * every issue (path and message), never zod's raw error object.
 */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import type { ErrorBody } from "./agent-api.ts";

const WHAT: Record<keyof ValidationTargets, string> = {
  json: "request body",
  form: "form",
  query: "query string",
  param: "path",
  header: "headers",
  cookie: "cookies",
};

/**
 * Validates `target` of a request with `schema`; a failure answers 400 with the issues.
 *
 * @example
 * app.post("/v1/vms/:name/exec", validate("param", VmNameParam), validate("json", ExecRequest), handler)
 */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
) {
  return zValidator(target, schema, (result, c) => {
    if (result.success) return;
    const issues = result.error.issues.map((issue) => ({
      path: issue.path.map(String).join(".") || "(root)",
      message: issue.message,
    }));
    return c.json(
      {
        error: {
          kind: "usage",
          message: `invalid ${WHAT[target]}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
          hint: "docs/agent.md describes every route's request",
          issues,
        },
      } satisfies ErrorBody,
      400,
    );
  });
}
