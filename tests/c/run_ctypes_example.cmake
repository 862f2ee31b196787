# Runs tools/examples/evlog_ctypes.py on a fresh store and checks its output:
# the two events it appended, by version and type.
file(REMOVE_RECURSE ${STORE})
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env EVLOG_C_LIBRARY=${LIBRARY} ${PYTHON} ${SCRIPT} ${STORE}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 50)
file(REMOVE_RECURSE ${STORE})
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "evlog_ctypes.py exited ${rc}: ${err}")
endif()
if(NOT out STREQUAL "1 Placed\n2 Paid\n")
  message(FATAL_ERROR "unexpected output: '${out}' ${err}")
endif()
