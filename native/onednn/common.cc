#include "common.h"

#include <map>

namespace ua {

dnnl::engine& cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpuStream() {
  static dnnl::stream stream(cpuEngine());
  return stream;
}

float* heapFloats(Napi::ArrayBuffer heap, const Napi::Value& byteOffset, int64_t count) {
  const double offset = byteOffset.As<Napi::Number>().DoubleValue();
  if (offset < 0 || static_cast<size_t>(offset) % sizeof(float) != 0 ||
      static_cast<size_t>(offset) + static_cast<size_t>(count) * sizeof(float) > heap.ByteLength()) {
    throw Napi::RangeError::New(heap.Env(), "tensor lies outside the wasm heap");
  }
  return reinterpret_cast<float*>(static_cast<uint8_t*>(heap.Data()) + static_cast<size_t>(offset));
}

Dims intArgs(const Napi::Value& value) {
  auto array = value.As<Napi::Int32Array>();
  return Dims(array.Data(), array.Data() + array.ElementLength());
}

static std::map<std::string, std::string>& registry() {
  static std::map<std::string, std::string> impls;
  return impls;
}

void recordImplementation(const std::string& kernel, const Dims& key, const char* impl) {
  std::string name = kernel;
  for (auto d : key) name += " " + std::to_string(d);
  registry()[name] = impl;
}

Napi::Value implementations(const Napi::CallbackInfo& info) {
  auto out = Napi::Object::New(info.Env());
  for (const auto& [name, impl] : registry()) out.Set(name, impl);
  return out;
}

}  // namespace ua
