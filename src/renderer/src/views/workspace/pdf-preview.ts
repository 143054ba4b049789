// `?worker&url`: Vite bundles the worker as a .js file (the renderer's servers type .js, not .mjs, as JavaScript).
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?worker&url'

/**
 * Draws a PDF's pages into canvases with pdf.js, its worker bundled by Vite (same origin, so the
 * CSP's `worker-src 'self'` allows it). pdf.js is loaded on first use only. `canvasesFor` is told the
 * page count and returns one canvas per page; each is drawn `cssWidth` wide at the screen's density.
 * Returns how many pages were drawn.
 */
export async function renderPdfPages(
  base64: string,
  cssWidth: number,
  canvasesFor: (pageCount: number) => Promise<HTMLCanvasElement[]>
): Promise<number> {
  const pdfjs = await import('pdfjs-dist')
  pdfjs.GlobalWorkerOptions.workerSrc = workerUrl
  const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
  // No WebAssembly decoders (the CSP allows none, and the report has no JPEG 2000 or JBIG2 images);
  // nothing is fetched: the report embeds its fonts.
  const task = pdfjs.getDocument({ data, useWasm: false, verbosity: 0 })
  try {
    const doc = await task.promise
    const canvases = await canvasesFor(doc.numPages)
    const ratio = window.devicePixelRatio || 1
    let drawn = 0
    for (let n = 1; n <= Math.min(doc.numPages, canvases.length); n++) {
      const page = await doc.getPage(n)
      const base = page.getViewport({ scale: 1 })
      const viewport = page.getViewport({ scale: (cssWidth / base.width) * ratio })
      const canvas = canvases[n - 1]!
      canvas.width = Math.ceil(viewport.width)
      canvas.height = Math.ceil(viewport.height)
      await page.render({ canvas, viewport, background: '#ffffff' }).promise
      page.cleanup()
      drawn++
    }
    return drawn
  } finally {
    await task.destroy()
  }
}
