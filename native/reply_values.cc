#include "reply_values.h"

#include "resp_parser.h"

namespace libredis {

napi_value replyValue(napi_env env, const PackedReplies& replies, size_t* index, bool buffers) {
  size_t i = (*index)++;
  const int32_t* r = &replies.records[i * kRecordFields];
  napi_value v = nullptr;
  size_t len;
  const char* text;
  switch (r[0]) {
    case RT_OK:
    case RT_BULK:
      text = replyText(replies, i, &len);
      if (buffers) {
        if (napi_create_buffer_copy(env, len, text, nullptr, &v) != napi_ok) return nullptr;
      } else if (napi_create_string_utf8(env, text, len, &v) != napi_ok) {
        return nullptr;
      }
      break;
    case RT_INTEGER: {
      text = replyText(replies, i, &len);
      int64_t n = 0;
      parseInt64(text, len, &n);  // validated by the parser
      napi_create_double(env, static_cast<double>(n), &v);
      break;
    }
    case RT_ERROR: {
      text = replyText(replies, i, &len);
      napi_value msg = nullptr;
      napi_create_string_utf8(env, text, len, &msg);
      napi_create_error(env, nullptr, msg, &v);
      break;
    }
    case RT_MULTIBULK: {
      uint32_t count = static_cast<uint32_t>(r[2]);
      if (napi_create_array_with_length(env, count, &v) != napi_ok) return nullptr;
      for (uint32_t k = 0; k < count; k++) {
        napi_value element = replyValue(env, replies, index, buffers);
        if (element == nullptr || napi_set_element(env, v, k, element) != napi_ok) return nullptr;
      }
      break;
    }
    default:
      napi_get_null(env, &v);
      break;
  }
  return v;
}

}  // namespace libredis
