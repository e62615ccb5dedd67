// A small, safe Markdown renderer for task instructions: it builds DOM nodes (text through
// textContent, never innerHTML), so nothing a requester writes can run script. Supported:
// headings, paragraphs, **bold**, *italic*, `code`, fenced code blocks, lists, > quotes,
// [links](https://…) (http, https and mailto only; other schemes such as javascript: stay
// text), and line breaks. Images are shown as links: the console loads images only from task
// inputs' signed URLs.

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

function inline(text) {
  const nodes = [];
  // code, bold, italic, link; the first match wins, text between stays text.
  // Underscores emphasise only at word edges (as CommonMark): `snake_case_names` stay as they are.
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|(?<!\w)__([^_]+)__(?!\w)|\*([^*\s][^*]*)\*|(?<!\w)_([^_\s][^_]*)_(?!\w)|!?\[([^\]]*)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    const [whole, code, bold1, bold2, italic1, italic2, label, url] = match;
    let node;
    if (code !== undefined) { node = document.createElement("code"); node.textContent = code; }
    else if (bold1 !== undefined || bold2 !== undefined) { node = document.createElement("strong"); node.append(...inline(bold1 ?? bold2)); }
    else if (italic1 !== undefined || italic2 !== undefined) { node = document.createElement("em"); node.append(...inline(italic1 ?? italic2)); }
    else if (SAFE_LINK.test(url)) {
      node = document.createElement("a");
      node.href = url;
      node.rel = "noopener noreferrer nofollow";
      node.target = "_blank";
      node.textContent = label || url;
    } else node = document.createTextNode(whole);
    nodes.push(node);
    last = match.index + whole.length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function withBreaks(lines) {
  const nodes = [];
  lines.forEach((line, index) => {
    if (index) nodes.push(document.createElement("br"));
    nodes.push(...inline(line));
  });
  return nodes;
}

/** Render Markdown `source` to a DocumentFragment. */
export function renderMarkdown(source) {
  const fragment = document.createDocumentFragment();
  const lines = String(source || "").replace(/\r\n?/g, "\n").split("\n");
  let index = 0;
  while (index < lines.length) {
    const line = lines[index];
    if (!line.trim()) { index++; continue; }
    let match;
    if (/^```/.test(line)) {
      const code = [];
      index++;
      while (index < lines.length && !/^```/.test(lines[index])) code.push(lines[index++]);
      index++;
      const pre = document.createElement("pre");
      const element = document.createElement("code");
      element.textContent = code.join("\n");
      pre.append(element);
      fragment.append(pre);
    } else if ((match = /^(#{1,6})\s+(.*)$/.exec(line))) {
      // Instructions sit under the task's own title: their headings start at h3.
      const heading = document.createElement(`h${Math.min(6, match[1].length + 2)}`);
      heading.append(...inline(match[2]));
      fragment.append(heading);
      index++;
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = document.createElement(ordered ? "ol" : "ul");
      while (index < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[index])) {
        const item = document.createElement("li");
        item.append(...inline(lines[index].replace(/^\s*([-*+]|\d+[.)])\s+/, "")));
        list.append(item);
        index++;
      }
      fragment.append(list);
    } else if (/^>\s?/.test(line)) {
      const quoted = [];
      while (index < lines.length && /^>\s?/.test(lines[index])) quoted.push(lines[index++].replace(/^>\s?/, ""));
      const quote = document.createElement("blockquote");
      quote.append(renderMarkdown(quoted.join("\n")));
      fragment.append(quote);
    } else {
      const paragraph = [];
      while (index < lines.length && lines[index].trim() && !/^(```|#{1,6}\s|>|\s*([-*+]|\d+[.)])\s+)/.test(lines[index])) {
        paragraph.push(lines[index++]);
      }
      if (!paragraph.length) paragraph.push(lines[index++]);  // never loop on a line no rule takes
      const element = document.createElement("p");
      element.append(...withBreaks(paragraph));
      fragment.append(element);
    }
  }
  return fragment;
}
