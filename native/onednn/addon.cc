// N-API entry of the oneDNN kernels. Every kernel works in place on the TF.js wasm backend's heap:
// the caller passes the heap's ArrayBuffer and each tensor's byte offset, so no tensor is copied.
#include <omp.h>

#include "common.h"

namespace ua {
Napi::Value Conv2D(const Napi::CallbackInfo& info);
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info);
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info);
Napi::Value BatchMatMul(const Napi::CallbackInfo& info);
Napi::Value Pool2D(const Napi::CallbackInfo& info);
Napi::Value Pool2DGrad(const Napi::CallbackInfo& info);
Napi::Value BatchNormTraining(const Napi::CallbackInfo& info);
Napi::Value BatchNormTrainingGrad(const Napi::CallbackInfo& info);
Napi::Value ReluGrad(const Napi::CallbackInfo& info);

namespace {

// One thread by default: the engine pool already runs one process per core.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  omp_set_num_threads(std::max(1, info[0].As<Napi::Number>().Int32Value()));
  return info.Env().Undefined();
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  const auto* v = dnnl_version();
  return Napi::String::New(info.Env(),
                           std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
}

// A dnnl::error becomes a JS Error naming the kernel, instead of aborting the engine process.
template <Napi::Value (*Kernel)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return Kernel(info);
  } catch (const dnnl::error& err) {
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + err.what());
  }
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  omp_set_num_threads(1);
  exports.Set("conv2d", Napi::Function::New(env, guarded<Conv2D>));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, guarded<Conv2DBackpropInput>));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, guarded<Conv2DBackpropFilter>));
  exports.Set("batchMatMul", Napi::Function::New(env, guarded<BatchMatMul>));
  exports.Set("pool2d", Napi::Function::New(env, guarded<Pool2D>));
  exports.Set("pool2dGrad", Napi::Function::New(env, guarded<Pool2DGrad>));
  exports.Set("batchNormTraining", Napi::Function::New(env, guarded<BatchNormTraining>));
  exports.Set("batchNormTrainingGrad", Napi::Function::New(env, guarded<BatchNormTrainingGrad>));
  exports.Set("reluGrad", Napi::Function::New(env, guarded<ReluGrad>));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("implementations", Napi::Function::New(env, implementations));
  return exports;
}

}  // namespace ua

static Napi::Object InitOneDnnKernels(Napi::Env env, Napi::Object exports) { return ua::Init(env, exports); }

NODE_API_MODULE(onednn_kernels, InitOneDnnKernels)
