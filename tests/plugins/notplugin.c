/* A shared object that is not a probe-builder plugin: no pb_plugin_entry. */
int notplugin_answer(void);

int notplugin_answer(void)
{
	return 42;
}
