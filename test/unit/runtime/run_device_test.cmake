# Runs llmc-run linked with the test models (optionally under an emulator)
# and checks its output. Arguments (-D): FAKE_EXE and FAKE_WEIGHTS (the fake
# bigram model), STORIES_EXE and STORIES_WEIGHTS (the C stories260K forward
# pass), EMULATOR (command line, may be empty), REFERENCE_EXE (a natively
# runnable fake-model llmc-run whose sampled output must match, may be empty).

# LLMW_FIXTURE_STORY in llmw_fixture.h.
set(story "Once upon a time, there was a tiny fake model. It could only say this one sentence, and then it stopped.")

separate_arguments(emulator UNIX_COMMAND "${EMULATOR}")

function(run_llmc out_var code_var err_var)
  execute_process(COMMAND ${ARGN}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE code)
  set(${out_var} "${out}" PARENT_SCOPE)
  set(${code_var} "${code}" PARENT_SCOPE)
  set(${err_var} "${err}" PARENT_SCOPE)
endfunction()

# Greedy: the prompt and the fake model's story, then a newline.
run_llmc(out code err ${emulator} ${FAKE_EXE} --weights ${FAKE_WEIGHTS}
         --prompt "Once upon a time" --temperature 0)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "greedy run failed (${code}): ${err}")
endif()
if(NOT out STREQUAL "${story}\n")
  message(FATAL_ERROR "greedy output differs:\n[${out}]\nexpected:\n[${story}\n]")
endif()

# --info.
run_llmc(out code err ${emulator} ${FAKE_EXE} --weights ${FAKE_WEIGHTS} --info)
if(NOT code EQUAL 0 OR NOT out MATCHES "vocab_size +512")
  message(FATAL_ERROR "--info failed (${code}): ${out}${err}")
endif()

# Errors: a missing file exits 1, bad arguments exit 2.
run_llmc(out code err ${emulator} ${FAKE_EXE} --weights ${FAKE_WEIGHTS}.missing
         --prompt x)
if(NOT code EQUAL 1 OR NOT err MATCHES "cannot open weights file")
  message(FATAL_ERROR "missing weights: exit ${code}: ${err}")
endif()
run_llmc(out code err ${emulator} ${FAKE_EXE} --steps)
if(NOT code EQUAL 2 OR NOT err MATCHES "usage: llmc-run")
  message(FATAL_ERROR "bad arguments: exit ${code}: ${err}")
endif()

# Sampling with a seed gives the same text on every target.
if(REFERENCE_EXE AND NOT REFERENCE_EXE STREQUAL FAKE_EXE)
  set(args --weights ${FAKE_WEIGHTS} --prompt "Once upon" --temperature 1.5
           --topp 0.9 --seed 1234 --steps 64)
  run_llmc(out code err ${emulator} ${FAKE_EXE} ${args})
  run_llmc(ref ref_code ref_err ${REFERENCE_EXE} ${args})
  if(NOT code EQUAL 0 OR NOT ref_code EQUAL 0)
    message(FATAL_ERROR "sampled run failed: ${err}${ref_err}")
  endif()
  if(NOT out STREQUAL ref)
    message(FATAL_ERROR "sampled output differs from the host:\n[${out}]\n[${ref}]")
  endif()
endif()
# stories260K: the reference greedy text of shared/models/README.md.
set(reference "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.\nLily\n")
run_llmc(out code err ${emulator} ${STORIES_EXE} --weights ${STORIES_WEIGHTS}
         --prompt "Once upon a time" --temperature 0 --steps 64)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "stories260K run failed (${code}): ${err}")
endif()
if(NOT out STREQUAL reference)
  message(FATAL_ERROR "stories260K output differs:\n[${out}]\nexpected:\n[${reference}]")
endif()
message(STATUS "ok: ${FAKE_EXE} ${STORIES_EXE}")
