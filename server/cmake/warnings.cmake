function(neuropod_set_warnings target)
  target_compile_options(${target} INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wconversion -Wsign-conversion -Wdouble-promotion
    -Wimplicit-fallthrough -Wno-missing-field-initializers)
  if(NEUROPOD_WERROR)
    target_compile_options(${target} INTERFACE -Werror)
  endif()
endfunction()
