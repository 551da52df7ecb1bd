{
  "targets": [
    {
      "target_name": "ipc_native",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/eventfd.cc",
        "src/fd.cc",
        "src/fifo.cc",
        "src/io.cc",
        "src/pipe.cc",
        "src/poller.cc",
        "src/process.cc",
        "src/pthread_sync.cc",
        "src/shared.cc",
        "src/shm.cc",
        "src/socket.cc",
        "src/sync.cc",
        "src/xsi_sem.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
