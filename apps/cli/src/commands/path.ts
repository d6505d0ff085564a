/** `nohead path`: where nohead's own files are (no-headache printed its store path). */
import { NOHEAD_ROOT } from "@nohead/nixgen";

export async function run(): Promise<number> {
  process.stdout.write(`${NOHEAD_ROOT}\n`);
  return 0;
}
