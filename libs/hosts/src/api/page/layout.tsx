/** @jsxImportSource hono/jsx */
/** The HTML shell of every page: title, the inline stylesheet (with the CSP nonce), the body. */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { PAGE_STYLE } from "./page-style.ts";

export function Layout({ title, nonce, children }: { title: string; nonce: string; children: Child }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>{title}</title>
          <style nonce={nonce} dangerouslySetInnerHTML={{ __html: PAGE_STYLE }} />
        </head>
        <body>{children}</body>
      </html>
    </>
  );
}
