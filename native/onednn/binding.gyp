{
  "targets": [
    {
      "target_name": "onednn_kernels",
      "sources": ["addon.cc", "batch_norm.cc", "common.cc", "conv.cc", "eltwise.cc", "matmul.cc", "pool.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O2", "-std=c++17", "-fopenmp"],
      "libraries": ["-ldnnl", "-lgomp", "-Wl,-rpath,'$$ORIGIN/../../lib'", "-Wl,--disable-new-dtags"]
    }
  ]
}
