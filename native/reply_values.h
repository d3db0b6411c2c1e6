// Packed replies as JS values, for the single-command path (connection.call,
// get, set), where JS wants the value itself rather than reply records.
#pragma once

#include <node_api.h>

#include <cstddef>

#include "packed_replies.h"

namespace libredis {

// The reply node at *index and, for a multibulk, all its elements; advances
// *index past them. Bulk and status replies become strings, integers numbers,
// nils null, multibulks arrays, and nested error replies Error objects. With
// `buffers`, bulk and status replies become Buffers (copies) instead.
// Returns null when a value cannot be made (a bulk longer than V8's string
// limit, say); *index is then past some unspecified part of the node.
napi_value replyValue(napi_env env, const PackedReplies& replies, size_t* index, bool buffers);

// Text of the reply node at `index` (status, error, bulk or integer).
inline const char* replyText(const PackedReplies& replies, size_t index, size_t* len) {
  const int32_t* r = &replies.records[index * kRecordFields];
  *len = static_cast<uint32_t>(r[2]);
  return replies.payload.data() + static_cast<uint32_t>(r[3]);
}

}  // namespace libredis
