// ReLU and its gradient over a flat float32 buffer. On the wasm backend the gradient costs three passes
// (Step, Cast, Multiply); here it is one.
#include "common.h"

namespace ua {

namespace {

using namespace dnnl;

// [size]
memory::desc flat(const Dims& d) { return {{d[0]}, dt::f32, tag::a}; }

eltwise_forward::primitive_desc reluDesc(const Dims& d, prop_kind prop) {
  return {{prop, algorithm::eltwise_relu, flat(d), 0.f}, cpuEngine()};
}

struct Forward {
  Dims d;
  eltwise_forward primitive;
  Forward(const Dims& dims, const eltwise_forward::primitive_desc& pd) : d(dims), primitive(pd) {}
};

struct Backward {
  Dims d;
  eltwise_backward primitive;
  Backward(const Dims& dims, const eltwise_backward::primitive_desc& pd) : d(dims), primitive(pd) {}
};

PrimitiveCache<Forward> forwards;
PrimitiveCache<Backward> backwards;

}  // namespace

// relu(heap, x, y, dims)
Napi::Value Relu(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[3]);
  auto& entry = forwards.get(d, [&] {
    auto pd = reluDesc(d, prop_kind::forward_inference);
    recordImplementation("Relu", d, pd.impl_info_str());
    return std::make_unique<Forward>(d, pd);
  });
  entry.primitive.execute(cpuStream(), {{DNNL_ARG_SRC, memory(flat(d), cpuEngine(), heapFloats(heap, info[1], d[0]))},
                                        {DNNL_ARG_DST, memory(flat(d), cpuEngine(), heapFloats(heap, info[2], d[0]))}});
  cpuStream().wait();
  return info.Env().Undefined();
}

// reluGrad(heap, dy, x, dx, dims): dx = dy where x > 0, else 0.
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[4]);
  auto& entry = backwards.get(d, [&] {
    eltwise_backward::primitive_desc pd({algorithm::eltwise_relu, flat(d), flat(d), 0.f}, cpuEngine(),
                                        reluDesc(d, prop_kind::forward_training));
    recordImplementation("ReluGrad", d, pd.impl_info_str());
    return std::make_unique<Backward>(d, pd);
  });
  entry.primitive.execute(cpuStream(), {{DNNL_ARG_DIFF_DST, memory(flat(d), cpuEngine(), heapFloats(heap, info[1], d[0]))},
                                        {DNNL_ARG_SRC, memory(flat(d), cpuEngine(), heapFloats(heap, info[2], d[0]))},
                                        {DNNL_ARG_DIFF_SRC, memory(flat(d), cpuEngine(), heapFloats(heap, info[3], d[0]))}});
  cpuStream().wait();
  return info.Env().Undefined();
}

}  // namespace ua
