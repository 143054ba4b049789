// 2-D convolution and its two gradients. Activations stay NHWC (TF.js's layout) and the filter stays
// HWIO in the heap; oneDNN picks its own weight layout (`any`), which is what selects its fast brgconv
// kernels, and the filter is reordered into it at each call (a few microseconds against the conv).
#include "common.h"

namespace ua {

namespace {

using namespace dnnl;

// [n, h, w, ci, fh, fw, co, oh, ow, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW]
struct ConvShape {
  Dims src, weights, dst, strides, dilates, padL, padR;
  explicit ConvShape(const Dims& d)
      : src{d[0], d[3], d[1], d[2]},
        weights{d[6], d[3], d[4], d[5]},
        dst{d[0], d[6], d[7], d[8]},
        strides{d[9], d[10]},
        dilates{d[15] - 1, d[16] - 1},  // oneDNN counts the gaps, TF.js the step
        padL{d[11], d[12]},
        padR{d[13], d[14]} {}
  memory::desc srcDesc() const { return {src, dt::f32, tag::nhwc}; }
  memory::desc dstDesc() const { return {dst, dt::f32, tag::nhwc}; }
  memory::desc anyWeights() const { return {weights, dt::f32, tag::any}; }
  convolution_forward::primitive_desc forwardHint() const {
    return {{prop_kind::forward_training, algorithm::convolution_direct, srcDesc(), anyWeights(), dstDesc(), strides,
             dilates, padL, padR},
            cpuEngine()};
  }
};

// The filter as the primitive wants it: the heap's HWIO copy when that is the chosen layout, else a
// reordered copy in memory this entry owns.
struct WeightsIn {
  memory::desc wanted;
  memory scratch;
  reorder toWanted;
  explicit WeightsIn(const memory::desc& chosen) : wanted(chosen) {}
  memory from(const ConvShape& shape, float* hwio) {
    auto user = userMemory(shape.weights, tag::hwio, hwio);
    if (user.get_desc() == wanted) return user;
    if (!scratch) {
      scratch = memory(wanted, cpuEngine());
      toWanted = reorder(user, scratch);
    }
    toWanted.execute(cpuStream(), user, scratch);
    return scratch;
  }
};

struct Forward {
  ConvShape shape;
  convolution_forward primitive;
  WeightsIn weights;
  explicit Forward(const Dims& d, const convolution_forward::primitive_desc& pd)
      : shape(d), primitive(pd), weights(pd.weights_desc()) {}
};

struct BackwardData {
  ConvShape shape;
  convolution_backward_data primitive;
  WeightsIn weights;
  explicit BackwardData(const Dims& d, const convolution_backward_data::primitive_desc& pd)
      : shape(d), primitive(pd), weights(pd.weights_desc()) {}
};

struct BackwardWeights {
  ConvShape shape;
  convolution_backward_weights primitive;
  memory::desc diffWeights;
  memory scratch;
  reorder toHwio;
  explicit BackwardWeights(const Dims& d, const convolution_backward_weights::primitive_desc& pd)
      : shape(d), primitive(pd), diffWeights(pd.diff_weights_desc()) {}
};

PrimitiveCache<Forward> forwards;
PrimitiveCache<BackwardData> backwardData;
PrimitiveCache<BackwardWeights> backwardWeights;

int64_t size(const Dims& dims) {
  int64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

}  // namespace

// conv2d(heap, xOffset, filterOffset, yOffset, dims)
Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[4]);
  auto& entry = forwards.get(d, [&] {
    ConvShape shape(d);
    convolution_forward::primitive_desc pd(
        {prop_kind::forward_inference, algorithm::convolution_direct, shape.srcDesc(), shape.anyWeights(),
         shape.dstDesc(), shape.strides, shape.dilates, shape.padL, shape.padR},
        cpuEngine());
    recordImplementation("Conv2D", d, pd.impl_info_str());
    return std::make_unique<Forward>(d, pd);
  });
  const auto& s = entry.shape;
  float* x = heapFloats(heap, info[1], size(s.src));
  float* w = heapFloats(heap, info[2], size(s.weights));
  float* y = heapFloats(heap, info[3], size(s.dst));
  auto weights = entry.weights.from(s, w);
  runNow(entry.primitive, {{DNNL_ARG_SRC, onHeap(s.srcDesc(), x)},
                                        {DNNL_ARG_WEIGHTS, weights},
                                        {DNNL_ARG_DST, onHeap(s.dstDesc(), y)}});
  return info.Env().Undefined();
}

// conv2dBackpropInput(heap, dyOffset, filterOffset, dxOffset, dims)
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[4]);
  auto& entry = backwardData.get(d, [&] {
    ConvShape shape(d);
    convolution_backward_data::primitive_desc pd(
        {algorithm::convolution_direct, shape.srcDesc(), shape.anyWeights(), shape.dstDesc(), shape.strides,
         shape.dilates, shape.padL, shape.padR},
        cpuEngine(), shape.forwardHint());
    recordImplementation("Conv2DBackpropInput", d, pd.impl_info_str());
    return std::make_unique<BackwardData>(d, pd);
  });
  const auto& s = entry.shape;
  float* dy = heapFloats(heap, info[1], size(s.dst));
  float* w = heapFloats(heap, info[2], size(s.weights));
  float* dx = heapFloats(heap, info[3], size(s.src));
  auto weights = entry.weights.from(s, w);
  runNow(entry.primitive, {{DNNL_ARG_DIFF_DST, onHeap(s.dstDesc(), dy)},
                                        {DNNL_ARG_WEIGHTS, weights},
                                        {DNNL_ARG_DIFF_SRC, onHeap(s.srcDesc(), dx)}});
  return info.Env().Undefined();
}

// conv2dBackpropFilter(heap, xOffset, dyOffset, dwOffset, dims): dW is written back as HWIO.
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  auto heap = info[0].As<Napi::ArrayBuffer>();
  const Dims d = intArgs(info[4]);
  auto& entry = backwardWeights.get(d, [&] {
    ConvShape shape(d);
    convolution_backward_weights::primitive_desc pd(
        {algorithm::convolution_direct, shape.srcDesc(), shape.anyWeights(), shape.dstDesc(), shape.strides,
         shape.dilates, shape.padL, shape.padR},
        cpuEngine(), shape.forwardHint());
    recordImplementation("Conv2DBackpropFilter", d, pd.impl_info_str());
    return std::make_unique<BackwardWeights>(d, pd);
  });
  const auto& s = entry.shape;
  float* x = heapFloats(heap, info[1], size(s.src));
  float* dy = heapFloats(heap, info[2], size(s.dst));
  float* dw = heapFloats(heap, info[3], size(s.weights));
  auto user = userMemory(s.weights, tag::hwio, dw);
  const bool direct = user.get_desc() == entry.diffWeights;
  if (!direct && !entry.scratch) {
    entry.scratch = memory(entry.diffWeights, cpuEngine());
    entry.toHwio = reorder(entry.scratch, user);
  }
  auto target = direct ? user : entry.scratch;
  runNow(entry.primitive, {{DNNL_ARG_SRC, onHeap(s.srcDesc(), x)},
                                        {DNNL_ARG_DIFF_DST, onHeap(s.dstDesc(), dy)},
                                        {DNNL_ARG_DIFF_WEIGHTS, target}});
  if (!direct) {
    entry.toHwio.execute(cpuStream(), entry.scratch, user);
    cpuStream().wait();
  }
  return info.Env().Undefined();
}

}  // namespace ua
