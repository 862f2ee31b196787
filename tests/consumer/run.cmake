# Installs the built evlog into a scratch prefix, builds the consumer project
# against it with find_package(evlog), and runs it.
# -D BUILD_DIR, SOURCE_DIR (the consumer project), SCRATCH, FLAGS (compiler
# and linker flags, e.g. the sanitizers evlog was built with), PROGRAM (the
# consumer's executable, default consumer, run with SCRATCH/store)
file(REMOVE_RECURSE ${SCRATCH})
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
step(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${SCRATCH}/prefix --component Unspecified)
step(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${SCRATCH}/build -DCMAKE_PREFIX_PATH=${SCRATCH}/prefix
     -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS=${FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${FLAGS}")
step(${CMAKE_COMMAND} --build ${SCRATCH}/build)
if(NOT PROGRAM)
  set(PROGRAM consumer)
endif()
step(${SCRATCH}/build/${PROGRAM} ${SCRATCH}/store)
