/**
 * A strict little XML reader for tests: enough of XML 1.0 to check that generated files (JUnit)
 * are well-formed and to look inside them. Throws on anything malformed: unbalanced or
 * mismatched tags, unquoted or duplicate attributes, unknown entities, stray '<' or '&',
 * characters XML forbids, text outside the root.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what XML forbids
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  if (FORBIDDEN.test(raw)) throw new Error(`forbidden character near offset ${where}`);
  if (raw.includes("<")) throw new Error(`stray '<' near offset ${where}`);
  return raw.replaceAll(/&([^;\s&]*);?/g, (whole, entity: string) => {
    if (!whole.endsWith(";")) throw new Error(`unterminated entity near offset ${where}`);
    if (entity in ENTITIES) return ENTITIES[entity] as string;
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(entity);
    if (!numeric) throw new Error(`unknown entity &${entity}; near offset ${where}`);
    const code = entity[1] === "x" ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
    return String.fromCodePoint(code);
  });
}

export function parseXml(text: string): XmlElement {
  let at = 0;
  const skipSpace = () => {
    while (/\s/.test(text[at] ?? "")) at++;
  };
  if (text.startsWith("<?xml")) {
    const end = text.indexOf("?>");
    if (end < 0) throw new Error("unterminated XML declaration");
    at = end + 2;
  }
  skipSpace();
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (at < text.length) {
    if (stack.length === 0 && root) {
      skipSpace();
      if (at < text.length) throw new Error(`content after the root element at offset ${at}`);
      break;
    }
    const lt = text.indexOf("<", at);
    const chunk = text.slice(at, lt < 0 ? text.length : lt);
    const parent = stack.at(-1);
    if (chunk.length > 0) {
      if (!parent) {
        if (chunk.trim() !== "") throw new Error(`text outside the root at offset ${at}`);
      } else parent.text += decode(chunk, at);
    }
    if (lt < 0) break;
    at = lt;
    if (text.startsWith("</", at)) {
      const end = text.indexOf(">", at);
      const name = text.slice(at + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) {
        throw new Error(`</${name}> at offset ${at} closes <${open?.name ?? "nothing"}>`);
      }
      at = end + 1;
      continue;
    }
    at++;
    const name = NAME.exec(text.slice(at))?.[0];
    if (!name) throw new Error(`bad tag name at offset ${at}`);
    at += name.length;
    const element: XmlElement = { name, attributes: {}, children: [], text: "" };
    for (;;) {
      skipSpace();
      if (text.startsWith("/>", at) || text[at] === ">") break;
      const attribute = NAME.exec(text.slice(at))?.[0];
      if (!attribute) throw new Error(`bad attribute at offset ${at}`);
      at += attribute.length;
      skipSpace();
      if (text[at] !== "=") throw new Error(`attribute ${attribute} without '=' at offset ${at}`);
      at++;
      skipSpace();
      const quote = text[at];
      if (quote !== '"' && quote !== "'") throw new Error(`unquoted ${attribute} at ${at}`);
      const close = text.indexOf(quote, at + 1);
      if (close < 0) throw new Error(`unterminated ${attribute} at offset ${at}`);
      if (attribute in element.attributes) throw new Error(`duplicate ${attribute} at ${at}`);
      element.attributes[attribute] = decode(text.slice(at + 1, close), at);
      at = close + 1;
    }
    if (parent) parent.children.push(element);
    else if (root) throw new Error(`a second root element at offset ${at}`);
    else root = element;
    if (text.startsWith("/>", at)) at += 2;
    else {
      at += 1;
      stack.push(element);
    }
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)?.name}> is never closed`);
  if (!root) throw new Error("no root element");
  return root;
}

/** Every element named `name`, depth first. */
export function findAll(element: XmlElement, name: string): XmlElement[] {
  return [
    ...(element.name === name ? [element] : []),
    ...element.children.flatMap((child) => findAll(child, name)),
  ];
}
