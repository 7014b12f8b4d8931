import { createHash } from 'node:crypto';
import type { UiColours } from '../config/ui.js';

/**
 * The one stylesheet of all pages, built once from the configured colours and served as a file
 * (`style-src 'self'`: no inline style, no hash to keep in step with the configuration). Its URL
 * carries a content hash, so it is cached for a year and a new theme is a new URL.
 */
export interface Theme {
  css: string;
  /** e.g. `/sso/assets/pages-1a2b3c4d5e.css` */
  href: string;
  /** Path of the file under the mount point: `/assets/pages-1a2b3c4d5e.css`. */
  path: string;
}

const BASE_CSS = `*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;line-height:1.5;-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);min-height:100vh;display:flex;flex-direction:column}
.site{display:flex;align-items:center;gap:.75rem;width:100%;max-width:42rem;margin:0 auto;padding:1rem}
.site img{height:2.5rem;width:auto;max-width:10rem}
.site .org{font-weight:700;font-size:1.125rem;margin:0}
.site .tag{font-size:.875rem;margin:0}
main{flex:1;width:100%;max-width:42rem;margin:0 auto;padding:0 1rem 1.5rem}
.card{background:var(--surface);border-radius:.75rem;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.14),0 1px 2px rgba(0,0,0,.08)}
.card+.card{margin-top:1rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem}
h2{font-size:1.125rem;line-height:1.3;margin:1.5rem 0 .5rem}
.card>h2:first-child{margin-top:0}
p{margin:0 0 .75rem}
a{color:var(--accent);text-underline-offset:.15em}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;padding:.625rem 1.25rem;border-radius:.5rem;border:2px solid var(--accent);background:var(--accent);color:var(--accent-text);font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
.button:hover{filter:brightness(1.08)}
.button.secondary{background:var(--surface);color:var(--accent)}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem}
.choices{list-style:none;padding:0;margin:1rem 0 0;display:grid;gap:.75rem}
.choices .button{width:100%}
.detail{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem;background:var(--bg);padding:.5rem .75rem;border-radius:.375rem;overflow-wrap:anywhere;margin:0 0 .75rem}
.policy{border-left:4px solid var(--accent);padding:.25rem 0 .25rem .75rem;margin:0 0 .75rem}
.small{font-size:.875rem}
.status{font-weight:600}
.ok::before{content:"\\2713\\00a0"}
.bad::before{content:"\\2717\\00a0"}
ul.plain{padding-left:1.25rem;margin:0 0 .75rem}
ol.steps{padding-left:1.25rem;margin:0 0 .75rem}
ol.steps li{margin-bottom:.5rem}
.table-wrap{overflow-x:auto;margin:0 0 .75rem}
table{border-collapse:collapse;width:100%;font-size:.9375rem}
caption{text-align:left;font-weight:600;padding-bottom:.25rem}
th,td{text-align:left;padding:.375rem .5rem;border-bottom:1px solid var(--rule);vertical-align:top}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem}
pre{background:var(--bg);padding:.75rem;border-radius:.375rem;white-space:pre-wrap;overflow-wrap:anywhere;margin:0 0 .75rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text],input[type=password],input[type=number],select{display:block;width:100%;min-height:2.75rem;padding:.5rem .75rem;font:inherit;color:var(--text);background:var(--surface);border:2px solid var(--text);border-radius:.375rem}
.hint{font-size:.875rem;margin:.25rem 0 0}
input[readonly]{background:var(--bg)}
fieldset{border:0;padding:0;margin:1rem 0 0;min-width:0}
legend{font-weight:600;padding:0;margin:0 0 .25rem}
.choice{display:flex;align-items:center;gap:.5rem;margin:.25rem 0}
.choice label{display:inline;font-weight:400;margin:0}
.choice input{width:1.25rem;height:1.25rem;margin:0;accent-color:var(--accent)}
td form{margin:0}
td code{overflow-wrap:anywhere;word-break:break-all}
.nowrap{white-space:nowrap}
td .button{min-height:2.25rem;padding:.25rem .75rem}
.problem{font-weight:600;border-left:4px solid var(--text);padding-left:.75rem}
.notice{border:2px solid var(--accent);border-radius:.5rem;padding:.75rem 1rem;margin:0 0 1rem}
footer{width:100%;max-width:42rem;margin:0 auto;padding:0 1rem 1.5rem;font-size:.875rem}
footer a{color:inherit}
footer p{margin:0 0 .25rem}
[hidden]{display:none!important}
@media (max-width:30rem){.card{padding:1rem;border-radius:.5rem}h1{font-size:1.3125rem}.actions .button{width:100%}}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}
`;

export function createTheme(colours: UiColours, basePath: string): Theme {
  const root = `:root{--accent:${colours.accent};--accent-text:${colours.accentText};--bg:${colours.background};--surface:${colours.surface};--text:${colours.text};--rule:${colours.text}33;color-scheme:light}\n`;
  const css = root + BASE_CSS;
  const hash = createHash('sha256').update(css).digest('hex').slice(0, 12);
  const path = `/assets/pages-${hash}.css`;
  return { css, path, href: `${basePath}${path}` };
}
