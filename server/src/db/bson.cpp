#include "db/bson.hpp"

#include <stdexcept>
#include <utility>

#include <bson/bson.h>

namespace neuropod::db {
namespace {

int key_len(std::string_view key) {
  return static_cast<int>(key.size());
}

void check(bool ok, std::string_view what) {
  if (!ok) {
    throw std::length_error("BSON document too large while appending " + std::string(what));
  }
}

std::optional<bson_iter_t> find(const bson_t* doc, std::string_view key) {
  bson_iter_t it;
  if (bson_iter_init_find_w_len(&it, doc, key.data(), key_len(key))) {
    return it;
  }
  return std::nullopt;
}

}  // namespace

Oid Oid::generate() {
  bson_oid_t raw;
  bson_oid_init(&raw, nullptr);
  Oid o;
  std::copy(std::begin(raw.bytes), std::end(raw.bytes), o.bytes_.begin());
  return o;
}

std::optional<Oid> Oid::parse(std::string_view hex) {
  if (hex.size() != 24 || !bson_oid_is_valid(hex.data(), hex.size())) {
    return std::nullopt;
  }
  bson_oid_t raw;
  const std::string copy(hex);
  bson_oid_init_from_string(&raw, copy.c_str());
  Oid o;
  std::copy(std::begin(raw.bytes), std::end(raw.bytes), o.bytes_.begin());
  return o;
}

std::string Oid::to_string() const {
  bson_oid_t raw;
  std::copy(bytes_.begin(), bytes_.end(), std::begin(raw.bytes));
  char buf[25];
  bson_oid_to_string(&raw, buf);
  return std::string(buf, 24);
}

Doc::Doc() : doc_(bson_new()) {}
Doc::Doc(const Doc& other) : doc_(bson_copy(other.doc_)) {}
Doc& Doc::operator=(const Doc& other) {
  if (this != &other) {
    bson_t* copy = bson_copy(other.doc_);
    bson_destroy(doc_);
    doc_ = copy;
  }
  return *this;
}
Doc::Doc(Doc&& other) noexcept : doc_(std::exchange(other.doc_, bson_new())) {}
Doc& Doc::operator=(Doc&& other) noexcept {
  if (this != &other) {
    std::swap(doc_, other.doc_);
  }
  return *this;
}
Doc::~Doc() {
  bson_destroy(doc_);
}

Doc Doc::adopt(bson_t* raw) {
  Doc d;
  bson_destroy(d.doc_);
  d.doc_ = raw;
  return d;
}

Doc Doc::copy_of(const bson_t* raw) {
  return adopt(bson_copy(raw));
}

Doc Doc::from_json(const nlohmann::json& object) {
  if (!object.is_object()) {
    throw std::invalid_argument("Doc::from_json needs a JSON object");
  }
  const auto text = object.dump();
  bson_error_t error;
  bson_t* raw = bson_new_from_json(reinterpret_cast<const std::uint8_t*>(text.data()),
                                   static_cast<ssize_t>(text.size()), &error);
  if (raw == nullptr) {
    throw std::invalid_argument(std::string("not representable as BSON: ") + error.message);
  }
  return adopt(raw);
}

Doc& Doc::append(std::string_view key, std::string_view value) {
  check(bson_append_utf8(raw_mut(), key.data(), key_len(key), value.data(),
                         static_cast<int>(value.size())),
        key);
  return *this;
}
Doc& Doc::append(std::string_view key, std::int32_t value) {
  check(bson_append_int32(raw_mut(), key.data(), key_len(key), value), key);
  return *this;
}
Doc& Doc::append(std::string_view key, std::int64_t value) {
  check(bson_append_int64(raw_mut(), key.data(), key_len(key), value), key);
  return *this;
}
Doc& Doc::append(std::string_view key, bool value) {
  check(bson_append_bool(raw_mut(), key.data(), key_len(key), value), key);
  return *this;
}
Doc& Doc::append(std::string_view key, double value) {
  check(bson_append_double(raw_mut(), key.data(), key_len(key), value), key);
  return *this;
}
Doc& Doc::append(std::string_view key, const Oid& value) {
  bson_oid_t raw;
  std::copy(value.bytes_.begin(), value.bytes_.end(), std::begin(raw.bytes));
  check(bson_append_oid(raw_mut(), key.data(), key_len(key), &raw), key);
  return *this;
}
Doc& Doc::append(std::string_view key, core::TimePoint value) {
  check(bson_append_date_time(raw_mut(), key.data(), key_len(key), core::to_unix_millis(value)),
        key);
  return *this;
}
Doc& Doc::append(std::string_view key, const Doc& value) {
  check(bson_append_document(raw_mut(), key.data(), key_len(key), value.raw()), key);
  return *this;
}
Doc& Doc::append(std::string_view key, const Array& value) {
  check(bson_append_array(raw_mut(), key.data(), key_len(key), value.doc().raw()), key);
  return *this;
}
Doc& Doc::append_null(std::string_view key) {
  check(bson_append_null(raw_mut(), key.data(), key_len(key)), key);
  return *this;
}

bool Doc::has(std::string_view key) const {
  return find(raw(), key).has_value();
}

std::optional<std::string> Doc::get_string(std::string_view key) const {
  auto it = find(raw(), key);
  if (!it || !BSON_ITER_HOLDS_UTF8(&*it)) {
    return std::nullopt;
  }
  std::uint32_t len = 0;
  const char* s = bson_iter_utf8(&*it, &len);
  return std::string(s, len);
}

std::optional<std::int64_t> Doc::get_int64(std::string_view key) const {
  auto it = find(raw(), key);
  if (!it) {
    return std::nullopt;
  }
  if (BSON_ITER_HOLDS_INT64(&*it)) {
    return bson_iter_int64(&*it);
  }
  if (BSON_ITER_HOLDS_INT32(&*it)) {
    return bson_iter_int32(&*it);
  }
  if (BSON_ITER_HOLDS_DOUBLE(&*it)) {
    return static_cast<std::int64_t>(bson_iter_double(&*it));
  }
  return std::nullopt;
}

std::optional<bool> Doc::get_bool(std::string_view key) const {
  auto it = find(raw(), key);
  if (!it || !BSON_ITER_HOLDS_BOOL(&*it)) {
    return std::nullopt;
  }
  return bson_iter_bool(&*it);
}

std::optional<double> Doc::get_double(std::string_view key) const {
  auto it = find(raw(), key);
  if (!it || !BSON_ITER_HOLDS_NUMBER(&*it)) {
    return std::nullopt;
  }
  return bson_iter_as_double(&*it);
}

std::optional<Oid> Doc::get_oid(std::string_view key) const {
  auto it = find(raw(), key);
  if (!it || !BSON_ITER_HOLDS_OID(&*it)) {
    return std::nullopt;
  }
  const bson_oid_t* raw_oid = bson_iter_oid(&*it);
  Oid o;
  std::copy(std::begin(raw_oid->bytes), std::end(raw_oid->bytes), o.bytes_.begin());
  return o;
}

std::optional<core::TimePoint> Doc::get_time(std::string_view key) const {
  auto it = find(raw(), key);
  if (!it || !BSON_ITER_HOLDS_DATE_TIME(&*it)) {
    return std::nullopt;
  }
  return core::from_unix_millis(bson_iter_date_time(&*it));
}

std::optional<Doc> Doc::get_doc(std::string_view key) const {
  auto it = find(raw(), key);
  if (!it || !BSON_ITER_HOLDS_DOCUMENT(&*it)) {
    return std::nullopt;
  }
  std::uint32_t len = 0;
  const std::uint8_t* data = nullptr;
  bson_iter_document(&*it, &len, &data);
  bson_t* copy = bson_new_from_data(data, len);
  if (copy == nullptr) {
    return std::nullopt;
  }
  return Doc::adopt(copy);
}

std::vector<Doc> Doc::get_doc_array(std::string_view key) const {
  std::vector<Doc> out;
  auto it = find(raw(), key);
  bson_iter_t child;
  if (!it || !BSON_ITER_HOLDS_ARRAY(&*it) || !bson_iter_recurse(&*it, &child)) {
    return out;
  }
  while (bson_iter_next(&child)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&child)) {
      continue;
    }
    std::uint32_t len = 0;
    const std::uint8_t* data = nullptr;
    bson_iter_document(&child, &len, &data);
    if (bson_t* copy = bson_new_from_data(data, len)) {
      out.push_back(Doc::adopt(copy));
    }
  }
  return out;
}

std::vector<std::string> Doc::get_string_array(std::string_view key) const {
  std::vector<std::string> out;
  auto it = find(raw(), key);
  bson_iter_t child;
  if (!it || !BSON_ITER_HOLDS_ARRAY(&*it) || !bson_iter_recurse(&*it, &child)) {
    return out;
  }
  while (bson_iter_next(&child)) {
    if (BSON_ITER_HOLDS_UTF8(&child)) {
      std::uint32_t len = 0;
      const char* s = bson_iter_utf8(&child, &len);
      out.emplace_back(s, len);
    }
  }
  return out;
}

std::vector<std::string> Doc::keys() const {
  std::vector<std::string> out;
  bson_iter_t it;
  if (bson_iter_init(&it, raw())) {
    while (bson_iter_next(&it)) {
      out.emplace_back(bson_iter_key(&it), bson_iter_key_len(&it));
    }
  }
  return out;
}

nlohmann::json Doc::to_json() const {
  std::size_t len = 0;
  char* s = bson_as_relaxed_extended_json(raw(), &len);
  if (s == nullptr) {
    return nullptr;
  }
  auto j = nlohmann::json::parse(std::string_view(s, len), nullptr, false);
  bson_free(s);
  return j;
}

Array& Array::push(std::string_view value) {
  doc_.append(next_key(), value);
  return *this;
}
Array& Array::push(std::int64_t value) {
  doc_.append(next_key(), value);
  return *this;
}
Array& Array::push(const Oid& value) {
  doc_.append(next_key(), value);
  return *this;
}
Array& Array::push(const Doc& value) {
  doc_.append(next_key(), value);
  return *this;
}

}  // namespace neuropod::db
