// Why this node has found nobody, as the daemon's doctor says it
// (status.findings, package doctor): the line above the conversation that
// names the cause and what to do.

// whyNoPeer returns the finding that explains why the node has found
// nobody, relays aside, or null when it has found someone or nothing
// explains it. The disk's findings have their own line, and a full disk
// does not keep peers away. It mirrors doctor.Why.
export function whyNoPeer(status) {
  const n = status.network;
  const relays = (status.relays || []).filter((r) => r.connected).length;
  const alone = n ? n.direct_peers + n.relayed_peers === 0 : status.peers - relays <= 0;
  if (!alone) return null;
  return (status.findings || []).find((f) => f.cause !== 'disk-full' && f.cause !== 'disk-almost-full') || null;
}

// whyText is the finding in one line.
export function whyText(f) {
  return `No peer found: ${f.summary} ${f.advice} (\`starling doctor\` says more.)`;
}
