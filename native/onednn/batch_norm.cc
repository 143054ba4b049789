// Batch normalisation in training mode, forward and backward, over every axis but the last (channels),
// which is how TF.js lays out both conv (NHWC) and dense ([rows, C]) activations. The forward computes
// the batch mean and (biased) variance itself and returns them for the moving averages.
#include <cstring>

#include "common.h"

namespace ua {

namespace {

using namespace dnnl;

// [rows, channels, epsilon's float bits]
struct NormShape {
  Dims data, channels;
  float epsilon;
  explicit NormShape(const Dims& d) : data{d[0], d[1], 1, 1}, channels{d[1]} {
    const auto bits = static_cast<uint32_t>(d[2]);
    std::memcpy(&epsilon, &bits, sizeof epsilon);
  }
  // Rows × channels as NHWC with unit spatial size, the layout oneDNN's JIT batch norm takes.
  memory::desc dataDesc() const { return {data, dt::f32, tag::nhwc}; }
  memory::desc channelDesc() const { return {channels, dt::f32, tag::x}; }
  int64_t size() const { return data[0] * data[1]; }
};

const auto kFlags = normalization_flags::use_scale | normalization_flags::use_shift;

struct Forward {
  NormShape shape;
  batch_normalization_forward primitive;
  Forward(const Dims& d, const batch_normalization_forward::primitive_desc& pd) : shape(d), primitive(pd) {}
};

struct Backward {
  NormShape shape;
  batch_normalization_backward primitive;
  Backward(const Dims& d, const batch_normalization_backward::primitive_desc& pd) : shape(d), primitive(pd) {}
};

PrimitiveCache<Forward> forwards;
PrimitiveCache<Backward> backwards;

batch_normalization_forward::primitive_desc forwardDesc(const NormShape& s) {
  return {{prop_kind::forward_training, s.dataDesc(), s.epsilon, kFlags}, cpuEngine()};
}

}  // namespace

// batchNormTraining(heap, x, gamma, beta, y, mean, variance, dims)
Napi::Value BatchNormTraining(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[7]);
  auto& entry = forwards.get(d, [&] {
    NormShape shape(d);
    auto pd = forwardDesc(shape);
    recordImplementation("BatchNormTraining", d, pd.impl_info_str());
    return std::make_unique<Forward>(d, pd);
  });
  const auto& s = entry.shape;
  const int64_t c = s.channels[0];
  auto channel = [&](int arg) { return onHeap(s.channelDesc(), heapFloats(heap, info[arg], c)); };
  runNow(entry.primitive, {{DNNL_ARG_SRC, onHeap(s.dataDesc(), heapFloats(heap, info[1], s.size()))},
                                        {DNNL_ARG_SCALE, channel(2)},
                                        {DNNL_ARG_SHIFT, channel(3)},
                                        {DNNL_ARG_DST, onHeap(s.dataDesc(), heapFloats(heap, info[4], s.size()))},
                                        {DNNL_ARG_MEAN, channel(5)},
                                        {DNNL_ARG_VARIANCE, channel(6)}});
  return info.Env().Undefined();
}

// batchNormTrainingGrad(heap, x, dy, gamma, beta, mean, variance, dx, dGamma, dBeta, dims): the gradient
// through the batch statistics too, as training needs.
Napi::Value BatchNormTrainingGrad(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[10]);
  auto& entry = backwards.get(d, [&] {
    NormShape shape(d);
    batch_normalization_backward::primitive_desc pd(
        {prop_kind::backward, shape.dataDesc(), shape.dataDesc(), shape.epsilon, kFlags}, cpuEngine(),
        forwardDesc(shape));
    recordImplementation("BatchNormTrainingGrad", d, pd.impl_info_str());
    return std::make_unique<Backward>(d, pd);
  });
  const auto& s = entry.shape;
  const int64_t c = s.channels[0];
  auto data = [&](int arg) { return onHeap(s.dataDesc(), heapFloats(heap, info[arg], s.size())); };
  auto channel = [&](int arg) { return onHeap(s.channelDesc(), heapFloats(heap, info[arg], c)); };
  // oneDNN wants the shift among the arguments whenever use_shift is set, though the gradient does not read it.
  runNow(entry.primitive, {{DNNL_ARG_SRC, data(1)},
                                        {DNNL_ARG_DIFF_DST, data(2)},
                                        {DNNL_ARG_SCALE, channel(3)},
                                        {DNNL_ARG_SHIFT, channel(4)},
                                        {DNNL_ARG_MEAN, channel(5)},
                                        {DNNL_ARG_VARIANCE, channel(6)},
                                        {DNNL_ARG_DIFF_SRC, data(7)},
                                        {DNNL_ARG_DIFF_SCALE, channel(8)},
                                        {DNNL_ARG_DIFF_SHIFT, channel(9)}});
  return info.Env().Undefined();
}

}  // namespace ua
