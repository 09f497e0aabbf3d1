// Loading the Go engine (phone/API.md): wasm_exec.js, then starling.wasm.
// Everything that builds or judges a message happens in it.

function loadScript (src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script')
    s.src = src
    s.onload = resolve
    s.onerror = () => reject(new Error(`${src} did not load`))
    document.head.append(s)
  })
}

// loadEngine returns globalThis.starling once the engine runs, or throws
// saying why it could not start.
export async function loadEngine () {
  if (globalThis.starling) return globalThis.starling
  if (typeof globalThis.Go !== 'function') await loadScript('wasm_exec.js')
  const go = new globalThis.Go()
  const resp = fetch('starling.wasm')
  let result
  try {
    result = await WebAssembly.instantiateStreaming(resp, go.importObject)
  } catch {
    // A server that does not say application/wasm: instantiate from bytes.
    const r = await fetch('starling.wasm')
    if (!r.ok) throw new Error(`starling.wasm: ${r.status} ${r.statusText}`)
    result = await WebAssembly.instantiate(await r.arrayBuffer(), go.importObject)
  }
  go.run(result.instance) // resolves only if the engine exits
  globalThis.__go = go // for the page's memory figure (go.mem is its linear memory)
  const s = globalThis.starling
  if (s == null) throw new Error('the engine started but set no globalThis.starling')
  return s
}

// check turns an engine result into a value or an Error carrying its code.
export function check (r) {
  if (r != null && typeof r === 'object' && typeof r.error === 'string' && r.error !== '') {
    const err = new Error(r.error)
    err.code = r.code
    throw err
  }
  return r
}
