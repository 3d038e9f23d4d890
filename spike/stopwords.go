package spike

import "strings"

// stopLists are the commonest function words of the desk's languages:
// pronouns, articles, prepositions, conjunctions, auxiliaries. They say
// nothing of what a complaint is about, and would top every surge. Words
// that count things ("iki", "două", "dwa", "два") are not here: "iki kez"
// (twice) is what a double charge is about. Words shorter than 3 letters
// are dropped anyway, but are kept here so that a list reads whole.
var stopLists = map[string]string{
	"en": `a about above after again against all also am an and any are as at
		be because been before being below between both but by can could did do
		does doing down during each few for from further had has have having he
		her here hers him his how i if in into is it its itself just me more most
		my myself no nor not now of off on once only or other our ours out over
		own same she should so some such than that the their theirs them then
		there these they this those through to too under until up very was we
		were what when where which while who whom why will with would you your
		yours`,
	"tr": `acaba ama ancak artık aslında aynı bana bazı belki ben beni benim
		biz bize bizi bizim bir biraz birkaç birşey bile bu buna bunda bundan
		bunu bunun burada böyle bütün çok çünkü da daha de değil diye eğer en
		gibi hala hâlâ hem hep hepsi her hiç hiçbir için ile ise kadar ki kim
		kimse mi mı mu mü nasıl ne neden nerede neyse niye o olan olarak oldu
		olduğu olsun olur ona onlar onları onu onun orada öyle sana sen seni
		senin siz size sizi sizin sonra şey şimdi şöyle şu şunu tüm ve veya
		ya yani yine yok var zaten`,
	"ro": `a acea aceasta această aceea acei acel acela acele acest acesta
		aceste acestea acolo acum ai aia al ale am ar are as asta așa atunci au
		ați avea ca care ce cea cei cel cele cine cu cum când că cât da dacă dar
		de deci deja despre din doar după e ea ei el ele era este eu fi fie
		fiecare fost fără iar il în încă între îi îmi îți la le lor lui mai mea
		mei mele meu mi mă ne nici noi nostru noastră nu numai o pe pentru
		prin până sa se sau sunt spre sub să său ta tot toate toți totuși tu
		tău un una unde unei unui va voi vă vreo`,
	"pl": `a aby ale albo ani bardzo bez bo być był była było były będzie co
		coś czy czyli dla do gdy gdzie go i ich ja jak jako je jego jej jest
		jestem jeszcze jeśli jednak już kiedy kto ktoś która które którego który
		lub ma mam mamy mi mnie mój moja moje może można my na nad nam nas nawet
		nic nie nigdy niż o od on ona one oni ono oraz po pod przed przez przy
		się sobie są ta tak także tam te tego tej ten teraz też to tu tutaj ty
		tych tylko tym u w we więc wszystko z za ze że żeby`,
	"bg": `а аз ако бе беше без бъде бяха в вас ви все всички всичко във вие
		вече да дали до докато е един една едно едни за защо и или им има
		как какво като когато кога коя кое кои който която което които колко
		къде към ли ме между ми много мой моя може му на нас него нея нещо ние
		нищо но някой няма о обаче около от още по под после преди при пред
		през са сам само се сега си след със също съм сме сте така там тази те
		тези ти то това тогава този той тук тя тях ще що я`,
}

// stopWords holds each list folded, as words are counted; stopAll is every
// list at once, for a message whose language is not known.
var stopWords, stopAll = foldStopLists()

func foldStopLists() (map[string]map[string]bool, map[string]bool) {
	var f folder
	all := map[string]bool{}
	byLang := map[string]map[string]bool{}
	for lang, list := range stopLists {
		words := map[string]bool{}
		for _, w := range strings.Fields(list) {
			k := string(f.fold(w))
			words[k] = true
			all[k] = true
		}
		byLang[lang] = words
	}
	return byLang, all
}
