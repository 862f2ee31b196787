# Runs tools/examples/evlog_ctypes.py on a fresh store and checks its output:
# the two events it appended, by version and type.
# PRELOAD: the sanitizer runtime a sanitized libevlog_c.so needs loaded
# first into an uninstrumented python3 (empty otherwise).
file(REMOVE_RECURSE ${STORE})
set(env EVLOG_C_LIBRARY=${LIBRARY})
if(PRELOAD)
  # python3 itself keeps memory to the end on purpose: no leak report.
  list(APPEND env LD_PRELOAD=${PRELOAD} ASAN_OPTIONS=detect_leaks=0)
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env ${env} ${PYTHON} ${SCRIPT} ${STORE}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 50)
file(REMOVE_RECURSE ${STORE})
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "evlog_ctypes.py exited ${rc}: ${err}")
endif()
if(NOT out STREQUAL "1 Placed\n2 Paid\n")
  message(FATAL_ERROR "unexpected output: '${out}' ${err}")
endif()
