/**
 * Writes docs/manifest.schema.json from the zod schema (libs/schema). A test compares the file
 * with a fresh generation, so the two cannot drift: run this after changing the schema.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { manifestJsonSchema } from "../libs/schema/src/json-schema.ts";

const target = join(import.meta.dir, "../docs/manifest.schema.json");
writeFileSync(target, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
