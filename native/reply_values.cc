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
        napi_create_buffer_copy(env, len, text, nullptr, &v);
      } else {
        napi_create_string_utf8(env, text, len, &v);
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
      napi_value msg;
      napi_create_string_utf8(env, text, len, &msg);
      napi_create_error(env, nullptr, msg, &v);
      break;
    }
    case RT_MULTIBULK: {
      uint32_t count = static_cast<uint32_t>(r[2]);
      napi_create_array_with_length(env, count, &v);
      for (uint32_t k = 0; k < count; k++) napi_set_element(env, v, k, replyValue(env, replies, index, buffers));
      break;
    }
    default:
      napi_get_null(env, &v);
      break;
  }
  return v;
}

}  // namespace libredis
