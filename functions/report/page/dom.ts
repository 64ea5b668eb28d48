/**
 * DOM helpers. Every table and chart is built with DOM text nodes only (never innerHTML), so a
 * payer name can never become markup.
 */

/** What an element may hold: nodes and text; null, undefined and false are left out. */
export type Child = Node | string | null | undefined | false;
type Listener = (event: Event) => void;
/** Attributes: `class`, `text` (the text content), `on<event>` listeners, and any other attribute. */
export type Attrs = Record<string, string | number | boolean | null | undefined | Listener>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  children?: Child | Child[],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = String(v);
    else if (k === 'text') node.textContent = String(v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v as Listener);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  const list = !children ? [] : Array.isArray(children) ? children : [children];
  for (const child of list) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Adds a section card to the report and returns its body. */
export function card(
  id: string,
  title: string,
  intro: string | null,
  controls?: Child | Child[],
  extraClass?: string,
): HTMLDivElement {
  const head = el('div', { class: 'card-head' }, [
    el('div', {}, [el('h2', { text: title }), intro ? el('p', { text: intro }) : null]),
    controls ? el('div', { class: 'controls' }, controls) : null,
  ]);
  const body = el('div', { class: 'card-body' });
  const section = el('section', { class: `card ${extraClass || ''}`, id, 'aria-labelledby': `${id}-h` }, [
    head,
    body,
  ]);
  head.querySelector('h2')!.id = `${id}-h`;
  document.getElementById('report')!.append(section);
  return body;
}

export function notice(body: HTMLElement, text: string): void {
  body.append(el('p', { class: 'notice', role: 'note', text }));
}

/** A group of toggle buttons, one pressed. */
export function segmented<V extends string>(
  options: [V, string][],
  current: V,
  onChange: (value: V) => void,
  label: string,
): HTMLDivElement {
  const group = el('div', { class: 'segmented', role: 'group', 'aria-label': label });
  for (const [value, text] of options) {
    const b = el('button', {
      class: 'seg',
      type: 'button',
      'aria-pressed': value === current ? 'true' : 'false',
      text,
      onclick: () => {
        for (const other of group.children) other.setAttribute('aria-pressed', 'false');
        b.setAttribute('aria-pressed', 'true');
        onChange(value);
      },
    });
    group.append(b);
  }
  return group;
}

/** A table column: its header, and what a row shows in it. */
export interface Column<R> {
  label: string;
  /** A number: right-aligned. */
  num?: boolean;
  cls?: string;
  /** The header's tooltip. */
  help?: string;
  render: (row: R) => Child | Child[];
}

export function table<R>(
  columns: Column<R>[],
  rows: R[],
  options?: { rowAttrs?: (row: R) => Attrs; footer?: (column: Column<R>) => Child | Child[] },
): HTMLTableElement {
  const thead = el(
    'thead',
    {},
    el(
      'tr',
      {},
      columns.map((c) =>
        el('th', { class: c.num ? 'num' : null, scope: 'col', title: c.help || null, text: c.label }),
      ),
    ),
  );
  const tbody = el('tbody');
  for (const row of rows) {
    const tr = el('tr', options?.rowAttrs ? options.rowAttrs(row) : {});
    for (const c of columns) {
      const value = c.render(row);
      tr.append(el('td', { class: c.num ? 'num' : c.cls || null }, value));
    }
    tbody.append(tr);
  }
  const parts: Child[] = [thead, tbody];
  if (options?.footer) {
    const tr = el('tr');
    for (const c of columns) tr.append(el('td', { class: c.num ? 'num' : null }, options.footer(c)));
    parts.push(el('tfoot', {}, tr));
  }
  return el('table', {}, parts);
}

export function chartBox(cls: string, label: string): HTMLDivElement {
  return el('div', { class: `chart ${cls || ''}`, role: 'img', 'aria-label': label });
}
