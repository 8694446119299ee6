/* kg viz explorer: draws the graph embedded in #kg-data with vis-network, with search,
   label and confidence filters, and a details panel. Test hooks: window.kgNetwork (the vis
   Network), window.kgData (the embedded data), window.kgSelected ({id, name, label} of the
   selected node), window.kgReady (true once the layout is done and physics is off). */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("kg-data").textContent);
  const styles = data.styles;
  const byId = new Map(data.nodes.map((n) => [n.id, n]));
  const linksOf = new Map();
  const resultsOf = new Map();
  const MAX_LISTED = 200;
  const $ = (id) => document.getElementById(id);

  function push(map, key, value) {
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(value);
  }
  function maxConf(rels) {
    const known = rels.map((r) => r.conf).filter((c) => c !== null);
    return known.length ? Math.max(...known) : null;
  }
  data.links.forEach((link, i) => {
    link.id = i;
    link.conf = maxConf(link.rels);
    push(linksOf, link.from, link);
    push(linksOf, link.to, link);
  });
  data.results.forEach((r) => r.on.forEach((id) => push(resultsOf, id, r)));
  const communitySize = new Map();
  data.nodes.forEach((n) => communitySize.set(n.community, (communitySize.get(n.community) || 0) + 1));

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function short(text, n) {
    return text.length > n ? text.slice(0, n - 1) + "\u2026" : text;
  }
  function fmt(conf) {
    return conf === null || conf === undefined ? "n/a" : conf.toFixed(2);
  }

  // ---- the network ----
  // Positions, sizes and label font sizes come from Python (kg/viz.py, kg/layout.py): a seeded
  // layout with communities apart, and labels chosen so that none covers another. A node with
  // font 0 has no label (its name shows on hover); bigger labels are readable when the whole
  // graph is in view, smaller ones appear when zooming in (drawThreshold).
  const big = data.nodes.length > 300;
  const nodes = new vis.DataSet(data.nodes.map((n) => {
    const s = styles[n.label];
    const node = {
      id: n.id, x: n.x, y: n.y, size: n.size, title: n.name, shape: s.shape, borderWidth: n.focus ? 4 : 1,
      color: {background: s.color, border: n.focus ? "#000" : s.color,
              highlight: {background: s.color, border: "#000"}, hover: {background: s.color, border: "#333"}},
    };
    if (n.font > 0) {
      node.label = n.label === "Paper" ? short(n.name, data.paper_label_chars) : n.name;  // as kg/viz.py measured it
      node.font = {size: n.font, face: "arial"};
    }
    return node;
  }));
  // links between communities are fainter: the communities stand out, their bridges stay visible
  const edges = new vis.DataSet(data.links.map((l) => {
    const across = byId.get(l.from).community !== byId.get(l.to).community;
    return {id: l.id, from: l.from, to: l.to, color: across ? {color: "rgba(160,160,160,0.25)"} : undefined};
  }));
  const options = {
    layout: {improvedLayout: false},
    physics: {enabled: false},
    nodes: {scaling: {label: {enabled: false, drawThreshold: 9, maxVisible: 22}}},
    edges: {color: {color: "#cccccc", highlight: "#333333", hover: "#888888"}, width: 0.6, smooth: false,
            selectionWidth: 1.5},
    interaction: {hover: true, tooltipDelay: 200, hideEdgesOnDrag: big, hideEdgesOnZoom: big},
  };
  const network = new vis.Network($("kg-graph"), {nodes, edges}, options);
  window.kgNetwork = network;
  window.kgData = data;
  window.kgSelected = null;
  window.kgReady = false;

  function ready() {
    network.fit();
    $("kg-loading").hidden = true;
    window.kgReady = true;
  }
  if (data.nodes.length === 0) {
    $("kg-loading").textContent = "No nodes to show.";
    window.kgReady = true;
  } else {
    network.once("afterDrawing", ready);
  }

  // ---- legend and filters ----
  const counts = {};
  data.nodes.forEach((n) => { counts[n.label] = (counts[n.label] || 0) + 1; });
  const legend = $("kg-legend");
  Object.keys(styles).forEach((label) => {
    const row = el("label");
    const box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.dataset.label = label;
    box.addEventListener("change", applyFilters);
    const glyph = el("span", styles[label].glyph, "kg-glyph");
    glyph.style.color = styles[label].color;
    row.append(box, glyph, " " + label + " ", el("span", "(" + (counts[label] || 0) + ")", "kg-count"));
    legend.append(row);
  });
  const slider = $("kg-conf");
  slider.min = String(data.min_confidence);
  slider.value = String(data.min_confidence);
  slider.addEventListener("input", applyFilters);

  function visibleNode(n, shown, floor) {
    return shown.has(n.label) && (n.conf === null || n.conf >= floor);
  }
  function applyFilters() {
    const floor = Number(slider.value);
    $("kg-conf-value").textContent = floor.toFixed(2);
    const shown = new Set([...legend.querySelectorAll("input:checked")].map((b) => b.dataset.label));
    const nodeChanges = [];
    data.nodes.forEach((n) => {
      const hidden = !visibleNode(n, shown, floor);
      if (hidden !== Boolean(n.hidden)) nodeChanges.push({id: n.id, hidden: (n.hidden = hidden)});
    });
    const edgeChanges = [];
    data.links.forEach((l) => {
      const hidden = l.conf !== null && l.conf < floor;
      if (hidden !== Boolean(l.hidden)) edgeChanges.push({id: l.id, hidden: (l.hidden = hidden)});
    });
    nodes.update(nodeChanges);
    edges.update(edgeChanges);
  }
  applyFilters();

  // ---- details ----
  function nodeButton(n) {
    const b = el("button", n.label === "Paper" ? short(n.name, 90) : n.name, "kg-link");
    b.type = "button";
    b.title = n.name;
    b.addEventListener("click", () => select(n.id, true));
    return b;
  }
  function addField(dl, name, value) {
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return;
    dl.append(el("dt", name));
    const dd = el("dd", Array.isArray(value) ? value.join(", ") : value);
    dl.append(dd);
    return dd;
  }
  function linkSection(n, floor) {
    const byLabel = new Map();
    (linksOf.get(n.id) || []).forEach((l) => {
      const rels = l.rels.filter((r) => r.conf === null || r.conf >= floor);
      if (rels.length) push(byLabel, byId.get(l.from === n.id ? l.to : l.from).label, {l, rels});
    });
    const frag = document.createDocumentFragment();
    Object.keys(styles).filter((label) => byLabel.has(label)).forEach((label) => {
      const items = byLabel.get(label);
      items.sort((a, b) => (maxConf(b.rels) || 0) - (maxConf(a.rels) || 0));
      frag.append(el("h3", label + "s (" + items.length + ")"));
      const ul = el("ul");
      items.slice(0, MAX_LISTED).forEach(({l, rels}) => {
        const other = byId.get(l.from === n.id ? l.to : l.from);
        const li = el("li");
        li.append(nodeButton(other), " ");
        const arrow = l.from === n.id ? "" : "\u2190 ";  // an incoming link
        li.append(el("span", rels.map((r) => arrow + r.type + " " + fmt(r.conf)).join(", "), "kg-rel"));
        [...new Set(rels.map((r) => r.evidence))].forEach((ev) => {
          if (data.evidence[ev]) li.append(el("p", data.evidence[ev], "kg-evidence"));
        });
        ul.append(li);
      });
      frag.append(ul);
      if (items.length > MAX_LISTED) frag.append(el("p", "and " + (items.length - MAX_LISTED) + " more", "kg-more"));
    });
    return frag;
  }
  function resultSection(n) {
    const results = resultsOf.get(n.id) || [];
    const frag = document.createDocumentFragment();
    if (!results.length) return frag;
    frag.append(el("h3", "Results (" + results.length + ")"));
    const ul = el("ul");
    results.slice(0, MAX_LISTED).forEach((r) => {
      const li = el("li");
      const what = [r.metric, r.dataset && "on " + r.dataset, r.method && "by " + r.method].filter(Boolean).join(" ");
      li.append(el("strong", r.text), " " + what + " ");
      if (r.paper !== n.id) li.append(nodeButton(byId.get(r.paper)));
      if (data.evidence[r.evidence]) li.append(el("p", data.evidence[r.evidence], "kg-evidence"));
      ul.append(li);
    });
    frag.append(ul);
    return frag;
  }
  function showDetails(n) {
    const box = $("kg-details");
    box.replaceChildren();
    const kind = el("span", styles[n.label].glyph + " " + n.label, "kg-kind");
    kind.style.color = styles[n.label].color;
    box.append(kind, el("h2", n.name));
    if (n.hidden) box.append(el("p", "Hidden by the current filters.", "kg-hint"));
    const dl = el("dl");
    addField(dl, n.label === "Paper" ? "id" : "key", n.key);
    addField(dl, "aliases", n.aliases);
    addField(dl, "year", n.year);
    addField(dl, "venue", n.venue);
    if (typeof n.url === "string" && /^https?:\/\//.test(n.url)) {
      const a = el("a", n.url);
      a.href = n.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      addField(dl, "url", " ").replaceChildren(a);
    }
    addField(dl, "confidence", n.conf === null ? null : "up to " + fmt(n.conf));
    addField(dl, "links", n.degree + " in the whole graph, " + (linksOf.get(n.id) || []).length + " drawn");
    if (n.community >= 0) addField(dl, "community", (n.community + 1) + " (" + communitySize.get(n.community) + " nodes drawn)");
    box.append(dl);
    box.append(linkSection(n, Number(slider.value)));
    box.append(resultSection(n));
    if (n.alias_evidence.length) {
      box.append(el("h3", "Alias evidence"));
      const ul = el("ul");
      n.alias_evidence.forEach((a) => ul.append(el("li", a)));
      box.append(ul);
    }
  }
  function select(id, zoom) {
    const n = byId.get(id);
    window.kgSelected = {id: n.id, name: n.name, label: n.label};
    if (!n.hidden) {
      network.selectNodes([id]);
      if (zoom) network.focus(id, {scale: Math.max(network.getScale(), 1.0), animation: {duration: 300}});
    } else {
      network.unselectAll();
    }
    showDetails(n);
  }
  function clearSelection() {
    window.kgSelected = null;
    $("kg-details").replaceChildren(el("p", "Click a node or search to see its details.", "kg-hint"));
  }
  network.on("click", (params) => (params.nodes.length ? select(params.nodes[0], false) : clearSelection()));

  // ---- search ----
  const names = $("kg-names");
  const seen = new Set();
  data.nodes.filter((n) => n.label !== "Paper").forEach((n) => [n.name, ...n.aliases].forEach((form) => {
    if (!seen.has(form)) {
      seen.add(form);
      names.append(new Option(form));
    }
  }));
  function rank(n, q) {
    const forms = [n.name, n.key, ...n.aliases].filter(Boolean).map((f) => f.toLowerCase());
    const r = forms.includes(q) ? 0 : forms.some((f) => f.startsWith(q)) ? 1 : forms.some((f) => f.includes(q)) ? 2 : 9;
    return r + (n.label === "Paper" ? 0.5 : 0);
  }
  function find(query) {
    const q = query.trim().toLowerCase();
    if (!q) return {node: null, rank: 9};
    let best = null;
    let bestRank = 9;
    data.nodes.forEach((n) => {
      const r = rank(n, q);
      if (r < bestRank || (r === bestRank && best && n.degree > best.degree)) {
        best = n;
        bestRank = r;
      }
    });
    return {node: best, rank: bestRank};
  }
  // "did you mean": names and aliases within a few edits of the query (a swap of two
  // neighbouring letters is one edit, so BRET is one edit from BERT)
  function editDistance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    let prev2 = null;
    let prev = Array.from({length: b.length + 1}, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      let best = i;
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
        row.push(d);
        best = Math.min(best, d);
      }
      if (best > limit) return limit + 1;
      prev2 = prev;
      prev = row;
    }
    return prev[b.length];
  }
  function suggest(query, n) {
    const q = query.trim().toLowerCase();
    const limit = q.length <= 4 ? 1 : q.length <= 8 ? 2 : 3;
    const scored = [];
    data.nodes.forEach((node) => {
      const forms = node.label === "Paper" ? [node.name] : [node.name, node.key, ...node.aliases];
      let d = limit + 1;
      forms.filter(Boolean).forEach((f) => { d = Math.min(d, editDistance(q, f.toLowerCase(), limit)); });
      if (d <= limit) scored.push({node, d});
    });
    scored.sort((a, b) => a.d - b.d || b.node.degree - a.node.degree || a.node.name.localeCompare(b.node.name));
    const seenNames = new Set();
    return scored.map((s) => s.node).filter((x) => !seenNames.has(x.name) && seenNames.add(x.name)).slice(0, n);
  }
  function showSuggestions(query, found) {
    const status = $("kg-search-status");
    status.replaceChildren();
    if (!query.trim() || (found.node && found.rank < 2)) return [];
    const close = suggest(query, 5).filter((n) => !found.node || n.id !== found.node.id);
    if (!found.node) status.append("No node matches \u201c" + query + "\u201d. ");
    if (close.length) {
      status.append("Did you mean: ");
      close.forEach((n, i) => {
        if (i) status.append(", ");
        status.append(nodeButton(n));
      });
      status.append("?");
    }
    return close;
  }
  $("kg-search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = $("kg-search").value;
    const found = find(query);
    showSuggestions(query, found);
    if (found.node) select(found.node.id, true);
  });
  window.kgFind = (query) => { const n = find(query).node; return n ? n.id : null; };
  window.kgSuggest = (query) => suggest(query, 5).map((n) => n.name);

  $("kg-subtitle").textContent = data.subtitle;
  const focused = data.nodes.find((n) => n.focus);
  if (focused) select(focused.id, false);
})();
