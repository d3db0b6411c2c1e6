{
  "targets": [
    {
      "target_name": "redis_native",
      "sources": [
        "native/addon.cc",
        "native/batch_wrap.cc",
        "native/command_buffers.cc",
        "native/connection.cc",
        "native/connection_wrap.cc",
        "native/core_spread.cc",
        "native/ketama.cc",
        "native/joined_args.cc",
        "native/js_args.cc",
        "native/ketama_wrap.cc",
        "native/md5.cc",
        "native/parser_probe.cc",
        "native/poll_loop.cc",
        "native/reply_values.cc",
        "native/resolver.cc",
        "native/resp_parser.cc",
        "native/wait_spin_probe.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      }
    }
  ]
}
