// Shared pieces of the oneDNN kernels: the engine, the heap pointers, and the primitive cache.
#pragma once
#include <napi.h>

#include <dnnl.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ua {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
using Dims = std::vector<int64_t>;

dnnl::engine& cpuEngine();
dnnl::stream& cpuStream();

// A float pointer into the wasm heap. The heap's ArrayBuffer is replaced when wasm memory grows, so the
// caller passes it again at every call and nothing here keeps it.
float* heapFloats(Napi::ArrayBuffer heap, const Napi::Value& byteOffset, int64_t count);

// The integer parameters of a call (shapes, strides, paddings), passed as one Int32Array.
Dims intArgs(const Napi::Value& value);

// Every primitive built so far, with the implementation oneDNN chose, so a test can refuse `ref:` ones.
void recordImplementation(const std::string& kernel, const Dims& key, const char* impl);
Napi::Value implementations(const Napi::CallbackInfo& info);

// Primitives are JIT-compiled when built, which costs far more than running them: one cache per kernel,
// keyed by every integer that shapes the primitive.
template <typename Entry>
class PrimitiveCache {
 public:
  Entry& get(const Dims& key, const std::function<std::unique_ptr<Entry>()>& build) {
    std::string k(reinterpret_cast<const char*>(key.data()), key.size() * sizeof(int64_t));
    auto found = entries_.find(k);
    if (found != entries_.end()) return *found->second;
    if (entries_.size() >= kMaxEntries) entries_.clear();  // shapes of past models; rebuilding is cheap enough
    return *(entries_[k] = build());
  }

 private:
  static constexpr size_t kMaxEntries = 512;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
};

// Heap memory seen through `desc`, without a copy.
inline memory onHeap(const memory::desc& desc, float* ptr) { return memory(desc, cpuEngine(), ptr); }

// Runs a primitive and waits for it: the caller reads the output as soon as the N-API call returns.
inline void runNow(const dnnl::primitive& primitive, const std::unordered_map<int, memory>& args) {
  primitive.execute(cpuStream(), args);
  cpuStream().wait();
}

// A user memory object over `ptr` with the plain layout `format`.
inline memory userMemory(const Dims& dims, tag format, float* ptr) {
  return memory({dims, dt::f32, format}, cpuEngine(), ptr);
}

}  // namespace ua
