// Max and average pooling and their gradients, NHWC. TF.js's MaxPoolGrad gets no record of where each
// maximum was, so the gradient first reruns the forward pool in training mode for oneDNN's workspace
// (about a tenth of the backward's cost).
#include "common.h"

namespace ua {

namespace {

using namespace dnnl;

// [n, h, w, c, oh, ow, filterH, filterW, strideH, strideW, padTop, padLeft, padBottom, padRight, isMax]
struct PoolShape {
  Dims src, dst, kernel, strides, padL, padR;
  algorithm kind;
  explicit PoolShape(const Dims& d)
      : src{d[0], d[3], d[1], d[2]},
        dst{d[0], d[3], d[4], d[5]},
        kernel{d[6], d[7]},
        strides{d[8], d[9]},
        padL{d[10], d[11]},
        padR{d[12], d[13]},
        // TF.js averages over the window's cells inside the image only.
        kind(d[14] ? algorithm::pooling_max : algorithm::pooling_avg_exclude_padding) {}
  memory::desc srcDesc() const { return {src, dt::f32, tag::nhwc}; }
  memory::desc dstDesc() const { return {dst, dt::f32, tag::nhwc}; }
  pooling_forward::primitive_desc forward(prop_kind prop) const {
    return {{prop, kind, srcDesc(), dstDesc(), strides, kernel, padL, padR}, cpuEngine()};
  }
  int64_t srcSize() const { return src[0] * src[1] * src[2] * src[3]; }
  int64_t dstSize() const { return dst[0] * dst[1] * dst[2] * dst[3]; }
};

struct Forward {
  PoolShape shape;
  pooling_forward primitive;
  Forward(const Dims& d, const pooling_forward::primitive_desc& pd) : shape(d), primitive(pd) {}
};

struct Backward {
  PoolShape shape;
  pooling_forward training;  // max only: refills the workspace
  memory dst, workspace;
  pooling_backward primitive;
  Backward(const Dims& d, const pooling_forward::primitive_desc& fwd, const pooling_backward::primitive_desc& pd)
      : shape(d), training(fwd), primitive(pd) {
    if (shape.kind == algorithm::pooling_max) {
      dst = memory(fwd.dst_desc(), cpuEngine());
      workspace = memory(fwd.workspace_desc(), cpuEngine());
    }
  }
};

PrimitiveCache<Forward> forwards;
PrimitiveCache<Backward> backwards;

}  // namespace

// pool2d(heap, xOffset, yOffset, dims)
Napi::Value Pool2D(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[3]);
  auto& entry = forwards.get(d, [&] {
    PoolShape shape(d);
    auto pd = shape.forward(prop_kind::forward_inference);
    recordImplementation(d[14] ? "MaxPool" : "AvgPool", d, pd.impl_info_str());
    return std::make_unique<Forward>(d, pd);
  });
  const auto& s = entry.shape;
  float* x = heapFloats(heap, info[1], s.srcSize());
  float* y = heapFloats(heap, info[2], s.dstSize());
  runNow(entry.primitive, {{DNNL_ARG_SRC, onHeap(s.srcDesc(), x)},
                                        {DNNL_ARG_DST, onHeap(s.dstDesc(), y)}});
  return info.Env().Undefined();
}

// pool2dGrad(heap, dyOffset, xOffset, dxOffset, dims): x is read by the max pool only.
Napi::Value Pool2DGrad(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[4]);
  auto& entry = backwards.get(d, [&] {
    PoolShape shape(d);
    auto fwd = shape.forward(prop_kind::forward_training);
    pooling_backward::primitive_desc pd(
        {shape.kind, shape.srcDesc(), shape.dstDesc(), shape.strides, shape.kernel, shape.padL, shape.padR},
        cpuEngine(), fwd);
    recordImplementation(d[14] ? "MaxPoolGrad" : "AvgPoolGrad", d, pd.impl_info_str());
    return std::make_unique<Backward>(d, fwd, pd);
  });
  const auto& s = entry.shape;
  float* dy = heapFloats(heap, info[1], s.dstSize());
  float* dx = heapFloats(heap, info[3], s.srcSize());
  std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, onHeap(s.dstDesc(), dy)},
                                       {DNNL_ARG_DIFF_SRC, onHeap(s.srcDesc(), dx)}};
  if (s.kind == algorithm::pooling_max) {
    float* x = heapFloats(heap, info[2], s.srcSize());
    runNow(entry.training, {{DNNL_ARG_SRC, onHeap(s.srcDesc(), x)},
                                         {DNNL_ARG_DST, entry.dst},
                                         {DNNL_ARG_WORKSPACE, entry.workspace}});
    args[DNNL_ARG_WORKSPACE] = entry.workspace;
  }
  runNow(entry.primitive, args);
  return info.Env().Undefined();
}

}  // namespace ua
