// Batched matmul with either operand transposed. A transposed operand is described by its strides, so
// oneDNN reads it where it lies: no transposed copy, unlike the wasm kernel.
#include "common.h"

namespace ua {

namespace {

using namespace dnnl;

// [batchA, batchB, m, k, n, transposeA, transposeB]; a batch of 1 broadcasts against the other.
struct MatMulShape {
  Dims a, b, c;
  memory::desc aDesc, bDesc, cDesc;
  explicit MatMulShape(const Dims& d) {
    const int64_t batchA = d[0], batchB = d[1], m = d[2], k = d[3], n = d[4];
    a = {batchA, m, k};
    b = {batchB, k, n};
    c = {std::max(batchA, batchB), m, n};
    aDesc = memory::desc(a, dt::f32, d[5] ? Dims{m * k, 1, m} : Dims{m * k, k, 1});
    bDesc = memory::desc(b, dt::f32, d[6] ? Dims{k * n, 1, k} : Dims{k * n, n, 1});
    cDesc = memory::desc(c, dt::f32, tag::abc);
  }
};

struct Entry {
  MatMulShape shape;
  dnnl::matmul primitive;
  Entry(const Dims& d, const dnnl::matmul::primitive_desc& pd) : shape(d), primitive(pd) {}
};

PrimitiveCache<Entry> cache;

}  // namespace

// batchMatMul(heap, aOffset, bOffset, cOffset, dims)
Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[4]);
  auto& entry = cache.get(d, [&] {
    MatMulShape shape(d);
    dnnl::matmul::primitive_desc pd({shape.aDesc, shape.bDesc, shape.cDesc}, cpuEngine());
    recordImplementation("BatchMatMul", d, pd.impl_info_str());
    return std::make_unique<Entry>(d, pd);
  });
  const auto& s = entry.shape;
  const int64_t m = d[2], k = d[3], n = d[4];
  float* a = heapFloats(heap, info[1], s.a[0] * m * k);
  float* b = heapFloats(heap, info[2], s.b[0] * k * n);
  float* c = heapFloats(heap, info[3], s.c[0] * m * n);
  runNow(entry.primitive, {{DNNL_ARG_SRC, onHeap(s.aDesc, a)},
                                        {DNNL_ARG_WEIGHTS, onHeap(s.bDesc, b)},
                                        {DNNL_ARG_DST, onHeap(s.cDesc, c)}});
  return info.Env().Undefined();
}

}  // namespace ua
