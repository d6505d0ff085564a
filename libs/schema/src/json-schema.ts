/** JSON Schema of the manifest, generated from the zod schema (the zod schema is the source). */
import { z } from "zod";
import { Manifest } from "./manifest.ts";

/** The manifest's JSON Schema (draft 2020-12), as docs/manifest.schema.json holds it. */
export function manifestJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://nohead.dev/schemas/nohead-manifest.schema.json",
    title: "nohead manifest (nohead-manifest.json)",
    ...z.toJSONSchema(Manifest, { target: "draft-2020-12" }),
  };
}
