#include "message/binary_header.h"

namespace tofu {

WireHeader EncodeBinaryHeader(const BinaryHeader& header) {
  WireHeader bytes;
  EncodeBinaryHeader(header, bytes.data());
  return bytes;
}

}  // namespace tofu
