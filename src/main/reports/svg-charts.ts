import * as echarts from 'echarts'

/** Renders an ECharts option to a static SVG string (server-side, no DOM), for the PDF. */
export function renderChartSvg(option: Record<string, unknown>, width = 640, height = 360): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
  try {
    chart.setOption({ ...option, animation: false })
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}
