# src/cli: the ntrace command.
$(BUILD)/bin/ntrace: $(BUILD)/obj/cli/ntrace_main.o $(NT_ARCHIVES)
	@mkdir -p $(@D)
	$(Q_LD)$(CC) $(NT_LDFLAGS) $(LDFLAGS) -o $@ $< $(NT_LINK)
ALL_TARGETS += $(BUILD)/bin/ntrace
