// Test access to the RESP parser without a socket: tests feed it byte chunks
// split anywhere and compare what it records.
#pragma once

#include <napi.h>

namespace libredis {

// parseChunks(chunks: Buffer[], replies: number, limits?: {maxDepth, maxBulkBytes})
//   -> [records: Int32Array, payload: Buffer, error: string | null, completed: number]
Napi::Value ParseChunks(const Napi::CallbackInfo& info);

}  // namespace libredis
