# Writes api/openapi.yaml into a C++ source file as a raw string literal, so the server carries
# its own contract. Run at build time by neuropod_contract's add_custom_command:
#   cmake -DINPUT=<openapi.yaml> -DOUTPUT=<openapi_embedded.cpp> -P embed_openapi.cmake
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "embed_openapi.cmake: INPUT and OUTPUT are required")
endif()

set(delimiter "neuropod_openapi")
file(READ "${INPUT}" text)

# The text must not end the raw string early.
string(FIND "${text}" ")${delimiter}\"" collision)
if(NOT collision EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains ')${delimiter}\"', the raw string delimiter used to embed "
                      "it; change the delimiter in ${CMAKE_CURRENT_LIST_FILE}")
endif()

set(source "// Generated from api/openapi.yaml by server/cmake/embed_openapi.cmake. Do not edit.
#include <string_view>

#include \"contract/contract.hpp\"

namespace neuropod::contract {

std::string_view openapi_yaml() {
  static constexpr std::string_view kText = R\"${delimiter}(${text})${delimiter}\";
  return kText;
}

}  // namespace neuropod::contract
")

file(WRITE "${OUTPUT}" "${source}")
