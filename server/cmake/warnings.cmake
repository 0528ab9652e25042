function(neuropod_set_warnings target)
  target_compile_options(${target} INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wconversion -Wsign-conversion -Wdouble-promotion
    -Wimplicit-fallthrough -Wno-missing-field-initializers
    # g++ 12 reports Asio's coroutine frame allocator (awaitable_frame_base::operator new/delete)
    # as mismatched in some -O2 inlining contexts; the pair is Asio's own and matches.
    -Wno-mismatched-new-delete)
  if(NEUROPOD_WERROR)
    target_compile_options(${target} INTERFACE -Werror)
  endif()
endfunction()
