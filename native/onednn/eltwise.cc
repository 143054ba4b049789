// ReLU's gradient over a flat float32 buffer. On the wasm backend it costs three passes (Step, Cast,
// Multiply); here it is one. (The forward stays on wasm, which keeps NaN as NaN.)
#include "common.h"

namespace ua {

namespace {

using namespace dnnl;

// [size]
memory::desc flat(const Dims& d) { return {{d[0]}, dt::f32, tag::a}; }

eltwise_forward::primitive_desc reluHint(const Dims& d) {
  return {{prop_kind::forward_training, algorithm::eltwise_relu, flat(d), 0.f}, cpuEngine()};
}

struct Backward {
  Dims d;
  eltwise_backward primitive;
  Backward(const Dims& dims, const eltwise_backward::primitive_desc& pd) : d(dims), primitive(pd) {}
};

PrimitiveCache<Backward> backwards;

}  // namespace

// reluGrad(heap, dy, x, dx, dims): dx = dy where x > 0, else 0.
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[4]);
  auto& entry = backwards.get(d, [&] {
    eltwise_backward::primitive_desc pd({algorithm::eltwise_relu, flat(d), flat(d), 0.f}, cpuEngine(),
                                        reluHint(d));
    recordImplementation("ReluGrad", d, pd.impl_info_str());
    return std::make_unique<Backward>(d, pd);
  });
  runNow(entry.primitive, {{DNNL_ARG_DIFF_DST, onHeap(flat(d), heapFloats(heap, info[1], d[0]))},
                                        {DNNL_ARG_SRC, onHeap(flat(d), heapFloats(heap, info[2], d[0]))},
                                        {DNNL_ARG_DIFF_SRC, onHeap(flat(d), heapFloats(heap, info[3], d[0]))}});
  return info.Env().Undefined();
}

}  // namespace ua
